package facts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// Hints are the facts earlier runs saw of an inventory's hosts, kept in one small file so
// that the next run can predict each host's resources before its first look (see
// provisioner/prefetch.go). Only what changes rarely is kept (no free memory, space or
// ports): a hint that went stale costs a round trip, never a wrong plan. Safe for
// concurrent use.
type Hints struct {
	path  string
	mu    sync.Mutex
	m     map[string]hint
	dirty bool
}

// hint is the stable part of a host's facts.
type hint struct {
	Scope       Scope   `json:"scope"`
	OS          OS      `json:"os"`
	Arch        string  `json:"arch"`
	Init        string  `json:"init"`
	CPUs        int     `json:"cpus"`
	MemoryTotal int64   `json:"memory_total"`
	Docker      Docker  `json:"docker"`
	Compose     Compose `json:"compose"`
}

// HintsPath is where the hints of the inventory in dir live: the user's cache directory,
// never the inventory's own (a run that only reads must not change the repository).
func HintsPath(dir string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "berth", "hints", hex.EncodeToString(sum[:8])+".json"), nil
}

// LoadHints reads the hints at path; a missing or unreadable file is no hints.
func LoadHints(path string) *Hints {
	h := &Hints{path: path, m: map[string]hint{}}
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, &h.m) != nil {
			h.m = map[string]hint{}
		}
	}
	return h
}

// Facts returns the facts an earlier run saw of host (stable fields only), or nil.
func (h *Hints) Facts(host string) *Facts {
	h.mu.Lock()
	defer h.mu.Unlock()
	x, ok := h.m[host]
	if !ok {
		return nil
	}
	return &Facts{Host: host, Scope: x.Scope, OS: x.OS, Arch: x.Arch, Init: x.Init, CPUs: x.CPUs,
		Memory: Memory{Total: x.MemoryTotal}, Docker: x.Docker, Compose: x.Compose}
}

// Learn records what this run saw of f.Host.
func (h *Hints) Learn(f *Facts) {
	x := hint{Scope: f.Scope, OS: f.OS, Arch: f.Arch, Init: f.Init, CPUs: f.CPUs, MemoryTotal: f.Memory.Total, Docker: f.Docker, Compose: f.Compose}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.m[f.Host]; !ok || old != x {
		h.m[f.Host] = x
		h.dirty = true
	}
}

// Save writes the hints when this run learned something new (atomically: a concurrent
// run reads the old file or the new one).
func (h *Hints) Save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.dirty || h.path == "" {
		return nil
	}
	b, err := json.Marshal(h.m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".hints-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	h.dirty = false
	return nil
}
