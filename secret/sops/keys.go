package sops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// Keys are the age identities that may open files, and where they came from (for messages).
type Keys struct {
	ids    []age.Identity
	source string
}

// Source says where the keys came from ("SOPS_AGE_KEY_FILE=/path", "SOPS_AGE_KEY", ...), or
// where berth looked when there were none.
func (k *Keys) Source() string { return k.source }

// Empty reports whether there is no key at all.
func (k *Keys) Empty() bool { return k == nil || len(k.ids) == 0 }

// LoadKeys finds the age identities as sops does: SOPS_AGE_KEY (the keys themselves), then
// SOPS_AGE_KEY_FILE, then $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/... by default).
// Having none is not an error (a file that needs one is); a key that does not parse is.
func LoadKeys(getenv func(string) string) (*Keys, error) {
	if s := getenv("SOPS_AGE_KEY"); s != "" {
		ids, err := age.ParseIdentities(strings.NewReader(s))
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY: %w", err)
		}
		return &Keys{ids: ids, source: "SOPS_AGE_KEY"}, nil
	}
	if p := getenv("SOPS_AGE_KEY_FILE"); p != "" {
		return keysFromFile(p, "SOPS_AGE_KEY_FILE="+p, false)
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" && getenv("HOME") != "" {
		dir = filepath.Join(getenv("HOME"), ".config")
	}
	if dir == "" {
		return &Keys{source: "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE (neither is set)"}, nil
	}
	p := filepath.Join(dir, "sops", "age", "keys.txt")
	return keysFromFile(p, p, true)
}

func keysFromFile(p, source string, optional bool) (*Keys, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) && optional {
		return &Keys{source: "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE (neither is set) and " + p + " (absent)"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("age keys: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("age keys in %s: %w", p, err)
	}
	return &Keys{ids: ids, source: source}, nil
}
