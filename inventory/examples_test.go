package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// TestExamples validates every directory of examples/: no error and no warning.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*")
	if len(dirs) < 3 {
		t.Fatalf("found %d examples, want at least 3", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			inv, diags := Load(dir, exampleOptions(t, dir))
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", describe(diags))
			}
			if len(inv.Hosts) == 0 || len(inv.Stacks) == 0 {
				t.Fatalf("example has %d hosts and %d stacks", len(inv.Hosts), len(inv.Stacks))
			}
		})
	}
}

// exampleOptions loads an example as its README says to run it: an example that ships a
// demo age key (demo-age-key.txt) is opened with it, and its encrypted variable files
// (secrets/*.vars.enc) are passed as -var-file.
func exampleOptions(t *testing.T, dir string) Options {
	key := filepath.Join(dir, "demo-age-key.txt")
	if _, err := os.Stat(key); err != nil {
		return Options{}
	}
	varFiles, _ := filepath.Glob(filepath.Join(dir, "secrets", "*.vars.enc"))
	if len(varFiles) == 0 {
		t.Fatalf("%s has a demo key but no secrets/*.vars.enc", dir)
	}
	return Options{VarFiles: varFiles, Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return key
		}
		return ""
	}}
}

// TestExamplesFormatted keeps the examples in canonical HCL layout (as hclfmt writes it),
// since people copy them.
func TestExamplesFormatted(t *testing.T) {
	files, _ := filepath.Glob("../examples/*/*.hcl")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hclwrite.Format(src); !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted like hclwrite.Format", f)
		}
	}
}
