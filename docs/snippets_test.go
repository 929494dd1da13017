package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/hashicorp/hcl/v2"
)

// snippetFile is the name a snippet gets in its temporary inventory directory.
const snippetFile = "snippet.hcl"

// hclSnippets returns every hcl fence of the documentation, failing on malformed markers.
func hclSnippets(t *testing.T) []fence {
	t.Helper()
	var out []fence
	for _, d := range readDocs(t) {
		fs, errs := fences(d)
		for _, err := range errs {
			t.Error(err)
		}
		for _, f := range fs {
			if f.lang == "hcl" {
				out = append(out, f)
			}
		}
	}
	return out
}

// TestHCLSnippets loads every hcl snippet of README.md and docs/*.md with the inventory loader,
// in a directory of its own holding testdata/tree and the fixtures its marker names.
func TestHCLSnippets(t *testing.T) {
	var checked, errs, skipped int
	for _, f := range hclSnippets(t) {
		m := f.marker
		if m == nil {
			m = &marker{}
		}
		if m.skip != "" {
			skipped++
			t.Logf("%s: skipped: %s", f, m.skip)
			continue
		}
		if m.errSum != "" {
			errs++
		} else {
			checked++
		}
		t.Run(strings.ReplaceAll(f.String(), "/", "_"), func(t *testing.T) {
			dir := snippetDir(t, f, m)
			_, diags := inventory.Load(dir, inventory.Options{})
			if m.errSum != "" {
				checkError(t, f, m, diags)
				return
			}
			if len(diags) > 0 {
				t.Errorf("%s: the snippet does not load cleanly:\n%s", f, describe(f, m, diags))
			}
		})
	}
	t.Logf("hcl snippets: %d must load, %d must fail with a named error, %d skipped", checked, errs, skipped)
	if checked+errs+skipped == 0 {
		t.Fatal("no hcl snippet found: is the fence parser broken?")
	}
}

// checkError wants at least one error and every error of the marker's summary.
func checkError(t *testing.T, f fence, m *marker, diags hcl.Diagnostics) {
	found := false
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Summary != m.errSum {
			t.Errorf("%s: marked error %q, but also fails with another error:\n%s", f, m.errSum, describe(f, m, diags))
			return
		}
		found = true
	}
	if !found {
		t.Errorf("%s: marked error %q, but the loader reported no such error:\n%s", f, m.errSum, describe(f, m, diags))
	}
}

// snippetDir builds the snippet's inventory directory.
func snippetDir(t *testing.T, f fence, m *marker) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "tree"), dir)
	for _, w := range m.with {
		b, err := os.ReadFile(filepath.Join("testdata", "with", w+".hcl"))
		if err != nil {
			t.Fatalf("%s: marker names fixture %q: %v", f, w, err)
		}
		writeFile(t, filepath.Join(dir, "with-"+w+".hcl"), b)
	}
	src := f.body
	if m.inRB {
		src = "runbook \"doc\" {\n" + src + "}\n"
	}
	writeFile(t, filepath.Join(dir, snippetFile), []byte(src))
	return dir
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// describe lists diagnostics, placing those of the snippet at their line in the document.
func describe(f fence, m *marker, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		where := "(no place)"
		if r := d.Subject; r != nil {
			where = fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
			if r.Filename == snippetFile {
				line := r.Start.Line
				if m.inRB {
					line-- // the runbook line the test added
				}
				where = fmt.Sprintf("%s:%d", f.doc, f.line+line)
			}
		}
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(&b, "  %s: %s: %s: %s\n", where, sev, d.Summary, d.Detail)
	}
	return b.String()
}
