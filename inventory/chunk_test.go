package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// tricky has what a cut must not land in: a heredoc and a block comment holding lines that
// look like top-level blocks, strings with braces, quotes and interpolations, comments with
// quotes, blocks and lists over several lines.
const tricky = `# a "comment" { with braces
locals {
  pad = "x"
}

host "web-1" {
  address = "10.0.0.1"
  labels = {
    role = "web"
  }
}

/* a block comment
host "ghost" {
}
*/
file "/etc/motd" {
  hosts   = "*"
  content = <<-EOT
    hello ${host.name}
host "not-a-host" {
}
    EOT
  mode = "0644"
}

// another "comment"
file "/etc/issue" {
  hosts   = "*"
  content = "a } b ${ "}" } c $${literal} d \" e ${local.pad}"
}

service "x" {
  hosts = "*"
  restart = [
    "file./etc/motd",
    "file./etc/issue",
  ]
}
`

// dump describes every top-level block of a body with the source of its attributes, so
// that two parses compare by what the loader reads: types, labels, ranges and text.
func dump(t *testing.T, f *hcl.File, src []byte) string {
	t.Helper()
	var b strings.Builder
	for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
		fmt.Fprintf(&b, "%s %q def=%v range=%v\n", blk.Type, blk.Labels, blk.DefRange(), blk.Range())
		var names []string
		for n := range blk.Body.Attributes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r := blk.Body.Attributes[n].Expr.Range()
			fmt.Fprintf(&b, "  %s %v %q\n", n, r, r.SliceBytes(src))
		}
	}
	return b.String()
}

func TestABigFileParsesInPiecesToTheSameBlocks(t *testing.T) {
	src := []byte(strings.Repeat(tricky, 20))
	whole, diags := hclsyntax.ParseConfig(src, "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	defer func(c int) { chunkSize = c }(chunkSize)
	chunkSize = 1 // a cut before every top-level block
	cuts := cutPoints(src, chunkSize)
	if want := 1 + 5*20; len(cuts) != want {
		t.Errorf("%d cuts, want %d (the start, then one per top-level block; none in the heredoc or comment)", len(cuts), want)
	}
	pieces, diags := parseInPieces(src, "main.hcl")
	if pieces == nil || diags.HasErrors() {
		t.Fatalf("not parsed in pieces: %v", diags)
	}
	if got, want := dump(t, pieces, src), dump(t, whole, src); got != want {
		t.Errorf("pieces differ from the whole:\n%s\nwant:\n%s", got, want)
	}
	if pieces.Body.(*hclsyntax.Body).SrcRange != whole.Body.(*hclsyntax.Body).SrcRange {
		t.Errorf("body range %v, want %v", pieces.Body.(*hclsyntax.Body).SrcRange, whole.Body.(*hclsyntax.Body).SrcRange)
	}
}

// Whatever the cutter does not follow with certainty is parsed whole, so that diagnostics
// are the parser's own.
func TestAFileThatCannotBeCutIsParsedWhole(t *testing.T) {
	defer func(c int) { chunkSize = c }(chunkSize)
	chunkSize = 1
	for name, src := range map[string]string{
		"unterminated string":   tricky + "x = \"abc\n",
		"unterminated comment":  tricky + "/* abc\n",
		"unbalanced brace":      tricky + "host \"a\" {\n",
		"top-level attribute":   tricky + "x = 1\n",
		"unterminated heredoc":  tricky + "file \"/a\" {\n  content = <<EOT\nabc\n}\n",
		"a piece that is wrong": tricky + "host \"a\" {\n  = 1\n}\n",
	} {
		if f, _ := parseInPieces([]byte(src), "main.hcl"); f != nil {
			t.Errorf("%s: parsed in pieces", name)
		}
	}
}

// The loader gives the same inventory whichever way its files were parsed.
func TestTheInventoryIsTheSameParsedInPieces(t *testing.T) {
	want := loadFull(t, Options{})
	defer func(b, c int) { bigFile, chunkSize = b, c }(bigFile, chunkSize)
	bigFile, chunkSize = 1, 1
	for _, name := range []string{"hosts.hcl", "layer.hcl", "main.hcl", "stacks.hcl"} {
		src, err := os.ReadFile(filepath.Join("testdata/valid/full", name))
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := parseInPieces(src, name); f == nil {
			t.Fatalf("%s: not parsed in pieces", name)
		}
	}
	got := loadFull(t, Options{})
	if !reflect.DeepEqual(got.Hosts, want.Hosts) || !reflect.DeepEqual(got.Stacks, want.Stacks) || got.Hash != want.Hash {
		t.Error("the inventory differs when its files are parsed in pieces")
	}
}
