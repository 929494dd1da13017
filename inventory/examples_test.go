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
			inv, diags := Load(dir, Options{})
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", describe(diags))
			}
			if len(inv.Hosts) == 0 || len(inv.Stacks) == 0 {
				t.Fatalf("example has %d hosts and %d stacks", len(inv.Hosts), len(inv.Stacks))
			}
		})
	}
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
