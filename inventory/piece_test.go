package inventory

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// everyPiece makes every file big and every run of host-layer blocks a piece of one block,
// until the returned function restores the sizes.
func everyPiece() (restore func()) {
	b, c, m, p := bigFile, chunkSize, minPiece, pieceSize
	bigFile, chunkSize, minPiece, pieceSize = 1, 1, 1, 1
	return func() { bigFile, chunkSize, minPiece, pieceSize = b, c, m, p }
}

// diagText is everything a diagnostic writer shows of diags, in order.
func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%d %v %q %q", d.Severity, d.Subject, d.Summary, d.Detail)
		if d.Context != nil {
			fmt.Fprintf(&b, " context %v", *d.Context)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Whether host-layer blocks are evaluated from pieces (parsed after the hosts are known and
// dropped one at a time) or parsed with the rest, every inventory of the fixtures loads the
// same, with the same diagnostics in the same order.
func TestPiecesLoadAsTheWholeFile(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/errors/*")
	dirs = append(dirs, "testdata/valid/full", "testdata/valid/extends")
	for _, dir := range dirs {
		opts := Options{Vars: fixtureVars(dir), Getenv: func(string) string { return "" }}
		want, wantDiags := Load(dir, opts)
		restore := everyPiece()
		got, gotDiags := Load(dir, opts)
		restore()
		if g, w := diagText(gotDiags), diagText(wantDiags); g != w {
			t.Errorf("%s: diagnostics differ with pieces:\n%s\nwant:\n%s", dir, g, w)
		}
		if !reflect.DeepEqual(got.Hosts, want.Hosts) || got.Hash != want.Hash {
			t.Errorf("%s: the inventory differs with pieces", dir)
		}
	}
}

// The scan is certain of a piece only when its blocks have the type's header, plain labels
// and nothing after their closing brace.
func TestScanItemsKeepsOnlyPlainBlocksAsPieces(t *testing.T) {
	src := `host "a" {
  address = "10.0.0.1"
}
file "/a" {
  hosts = "*"
  content = "} ${"{"} file \"/x\" {"
}
# a comment
file "/b" { # after the brace
  hosts = "*"
  content = <<EOT
}
host "hidden" {
EOT
} // a comment after the block
file "/c" {
  hosts = "*"
} host "d" { address = "x" }
file "/d" "extra" {
}
file "/e${x}" {
}
file "/f"
{
}
docker {
  hosts = "*"
}
directory "/g" {}
`
	var got []string
	for _, it := range scanItems([]byte(src)) {
		got = append(got, fmt.Sprintf("%s@%d", it.typ, strings.Count(src[:it.start], "\n")+1))
	}
	want := []string{"@1", "file@4", "file@9", "@16", "@19", "@21", "@23", "docker@26", "directory@29"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items %q, want %q", got, want)
	}
}

// A piece that does not parse as scanned starts the load again without pieces: a syntax
// error is reported as the parser reports it for the whole file, and nothing is evaluated.
func TestAPieceThatDoesNotParseLoadsAgainWhole(t *testing.T) {
	src := `host "a" {
  address = "10.0.0.1"
}
file "/a" {
  hosts   = "*"
  content = "a"
}
file "/b" {
  hosts   = "*"
  content = = "b"
}
`
	dir := writeInv(t, src)
	want, wantDiags := Load(dir, Options{})
	if !wantDiags.HasErrors() {
		t.Fatal("no syntax error")
	}
	defer everyPiece()()
	got, gotDiags := Load(dir, Options{})
	if g, w := diagText(gotDiags), diagText(wantDiags); g != w {
		t.Errorf("diagnostics with pieces:\n%s\nwant:\n%s", g, w)
	}
	if len(got.Hosts) != len(want.Hosts) {
		t.Errorf("%d hosts evaluated, want %d", len(got.Hosts), len(want.Hosts))
	}
}

// Blocks parsed with the rest and blocks of pieces are evaluated in source order: the
// duplicate is the later one, whichever way each was parsed.
func TestPiecesKeepTheirPlaceAmongParsedBlocks(t *testing.T) {
	src := `host "a" {
  address = "10.0.0.1"
}
file "/a" {
  hosts   = "*"
  content = "piece"
}
file "/\u0061" {
  hosts   = "*"
  content = "parsed: the label has an escape"
}
file "/b" {
  hosts   = "*"
  content = "${host.name}"
}
file "/b" {
  hosts   = "a"
  content = "again"
}
directory "/\u0061" {
  hosts = "*"
}
directory "/a" {
  hosts = "*"
}
`
	dir := writeInv(t, src)
	want, wantDiags := Load(dir, Options{})
	defer everyPiece()()
	got, gotDiags := Load(dir, Options{})
	if g, w := diagText(gotDiags), diagText(wantDiags); g != w || len(wantDiags) != 3 {
		t.Errorf("diagnostics with pieces:\n%s\nwant (3):\n%s", g, w)
	}
	if !reflect.DeepEqual(got.Hosts, want.Hosts) {
		t.Error("the inventory differs with pieces")
	}
}

// The bench-shaped inventory, its blocks in pieces and its contents past the budget, is the
// inventory loaded whole with every content held.
func TestABenchShapedInventoryLoadsTheSameInPieces(t *testing.T) {
	dir := t.TempDir()
	writeBenchShaped(t, dir, 20, 20)
	want, diags := Load(dir, Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	defer func(h, b, c, m, p int) {
		holdContents, bigFile, chunkSize, minPiece, pieceSize = h, b, c, m, p
	}(holdContents, bigFile, chunkSize, minPiece, pieceSize)
	holdContents, bigFile, chunkSize, minPiece, pieceSize = 4<<10, 1, 4<<10, 1, 4<<10
	l := newLoader(dir, Options{})
	l.load()
	if len(l.pieces["file"]) < 10 || l.again || l.diags.HasErrors() {
		t.Fatalf("%d pieces of file blocks (again: %v): %s", len(l.pieces["file"]), l.again, describe(l.diags))
	}
	got, diags := Load(dir, Options{})
	if diags.HasErrors() || got.Hash != want.Hash || len(got.Hosts) != len(want.Hosts) {
		t.Fatalf("load in pieces: %s", describe(diags))
	}
	later := 0
	for i, h := range got.Hosts {
		if len(h.Files) != len(want.Hosts[i].Files) {
			t.Fatalf("%s: %d files, want %d", h.Name, len(h.Files), len(want.Hosts[i].Files))
		}
		for j, f := range h.Files {
			w := want.Hosts[i].Files[j]
			data, err := f.Data()
			if err != nil || string(data) != string(w.Content) || f.Path != w.Path || f.DeclRange != w.DeclRange || f.SHA256 != w.SHA256 {
				t.Fatalf("%s %s: %q, %v; want %s %q", h.Name, f.Path, data, err, w.Path, w.Content)
			}
			if !f.Held() {
				later++
			}
		}
	}
	if later < len(got.Hosts)*20/2 {
		t.Errorf("only %d contents kept for later", later)
	}
}
