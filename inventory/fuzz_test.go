package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader as an inventory file next to a valid stack
// directory: whatever the input, Load must return (no panic) and keep the file map.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/errors/*/main.hcl")
	seeds = append(seeds, "testdata/valid/full/stacks.hcl", "testdata/valid/full/layer.hcl", "testdata/valid/full/hosts.hcl")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "stacks", "web"), 0o755)
		os.WriteFile(filepath.Join(dir, "stacks", "web", "compose.yaml"), []byte("services:\n  web:\n    image: nginx\n    expose: [\"8080\"]\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.hcl"), data, 0o644)
		inv, _ := Load(dir, Options{Vars: map[string]string{}})
		if inv == nil || inv.Files == nil {
			t.Fatal("Load returned no inventory or no file map")
		}
	})
}
