package inventory

import (
	"path/filepath"
	"testing"
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
