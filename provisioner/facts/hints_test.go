package facts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHintsKeepTheStableFactsAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h", "hints.json")
	h := LoadHints(path)
	if h.Facts("a") != nil {
		t.Fatal("hints before any run")
	}
	seen := &Facts{Host: "a", Scope: ScopeDocker, OS: OS{ID: "debian", Codename: "bookworm"}, Arch: "x86_64",
		Memory: Memory{Total: 8 << 30, Available: 3 << 30}, Ports: []int{22}, Compose: Compose{Variant: "v1", Version: "1.29.2"}}
	h.Learn(seen)
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	got := LoadHints(path).Facts("a")
	if got == nil || got.OS != seen.OS || got.Compose != seen.Compose || got.Arch != "x86_64" || got.Scope != ScopeDocker {
		t.Fatalf("after a reload: %+v", got)
	}
	if got.Memory.Available != 0 || got.Ports != nil {
		t.Errorf("volatile facts kept: %+v", got)
	}
	// Learning the same stable facts again (free memory moved) writes nothing.
	st, _ := os.Stat(path)
	os.Chtimes(path, st.ModTime().Add(-3600e9), st.ModTime().Add(-3600e9))
	st, _ = os.Stat(path)
	again := LoadHints(path)
	seen.Memory.Available = 1 << 30
	again.Learn(seen)
	if err := again.Save(); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("unchanged hints were written again")
	}
}

func TestBrokenHintsAreNoHints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hints.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	if f := LoadHints(path).Facts("a"); f != nil {
		t.Fatalf("hints from a broken file: %+v", f)
	}
}
