package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/source"
	"github.com/berth-dev/berth/source/vsphere"
)

// addSourceFlags makes a command list the inventory's source blocks (the commands that
// connect, and hosts list) and registers --source-max-age.
func (f *inventoryFlags) addSourceFlags(fs *flag.FlagSet) {
	f.listSources = true
	fs.DurationVar(&f.sourceMaxAge, "source-max-age", 0, "use a source's (vSphere's) last listing when it is at most this `age` old, instead of listing again (0: always list)")
}

// lister lists a source live, or takes its snapshot when --source-max-age allows; every live
// listing refreshes the snapshot. A source that cannot be listed is an error: a snapshot is
// only ever used because the user asked for one of that age, never as a silent fallback.
func lister(e *env, dir string, f *inventoryFlags) inventory.Lister {
	cache := cacheDir(e)
	abs, _ := filepath.Abs(dir)
	return func(s *inventory.Source) (*inventory.Listing, error) {
		path := ""
		if cache != "" {
			path = source.SnapshotPath(cache, abs, s)
		}
		now := time.Now()
		if path != "" && f.sourceMaxAge > 0 {
			if snap, ok := source.ReadSnapshot(path, f.sourceMaxAge, now); ok {
				l := snap.Listing
				l.From = fmt.Sprintf("snapshot of %s (%s old)", snap.Time.Format(time.RFC3339), now.Sub(snap.Time).Round(time.Second))
				fmt.Fprintf(e.stderr, "note: %s: %d hosts from the %s\n", s.Address(), len(l.Hosts), l.From)
				return &l, nil
			}
		}
		l, err := vsphere.List(context.Background(), s)
		if err != nil {
			return nil, err
		}
		if path != "" {
			if err := source.WriteSnapshot(path, &source.Snapshot{Source: s.Address(), Time: now, Listing: *l}); err != nil {
				fmt.Fprintf(e.stderr, "warning: %s: %v\n", s.Address(), err)
			}
		}
		return l, nil
	}
}

// cacheDir is where snapshots go: $BERTH_CACHE_DIR, else $XDG_CACHE_HOME/berth, else
// ~/.cache/berth; "" (no snapshots) when none is known.
func cacheDir(e *env) string {
	if d := e.getenv("BERTH_CACHE_DIR"); d != "" {
		return d
	}
	if d := e.getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "berth")
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "berth")
	}
	return ""
}
