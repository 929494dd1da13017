package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/integration/testbed"
)

// Every bed started by hand keeps its state in its own work dir under the cache dir
// (beds/PREFIX/bed.json), so that several people (or agents) on one machine can each have one.
func statePath(prefix string) string {
	return filepath.Join(testbed.CacheDir(), "beds", prefix, "bed.json")
}

// keptBeds lists the prefixes of the beds that have a state file, sorted.
func keptBeds() []string {
	matches, _ := filepath.Glob(statePath("*"))
	var prefixes []string
	for _, m := range matches {
		prefixes = append(prefixes, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(prefixes)
	return prefixes
}

// loadBed loads the bed named by args[0], or the only kept bed when args is empty.
func loadBed(args []string) (*testbed.Bed, error) {
	var prefix string
	switch beds := keptBeds(); {
	case len(args) > 0:
		prefix = args[0]
	case len(beds) == 1:
		prefix = beds[0]
	case len(beds) == 0:
		return nil, errors.New("no bed is up (start one with: testbed up)")
	default:
		return nil, fmt.Errorf("several beds are up (%s): name one", strings.Join(beds, ", "))
	}
	data, err := os.ReadFile(statePath(prefix))
	if err != nil {
		return nil, fmt.Errorf("bed %s: %w", prefix, err)
	}
	var b testbed.Bed
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("read %s: %w", statePath(prefix), err)
	}
	return &b, nil
}

func saveBed(b *testbed.Bed) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	path := statePath(b.Prefix)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
