package source

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// Snapshot is a listing saved after it was made, for a later run that accepts hosts no older
// than some age (drift from cron while vCenter is down for maintenance).
type Snapshot struct {
	Source  string            `json:"source"`
	Time    time.Time         `json:"time"`
	Listing inventory.Listing `json:"listing"`
}

// SnapshotPath is where the snapshot of a source of the inventory in dir lives under cache.
// The name hashes the inventory directory and every setting that shapes the listing (never
// the password), so a changed filter never reuses an old listing.
func SnapshotPath(cache, dir string, s *inventory.Source) string {
	v := *s.VSphere
	v.Password = nil
	b, _ := json.Marshal(struct {
		Dir, Source string
		Settings    inventory.VSphere
	}{dir, s.Address(), v})
	sum := sha256.Sum256(b)
	return filepath.Join(cache, "sources", s.Address()+"-"+hex.EncodeToString(sum[:8])+".json")
}

// ReadSnapshot returns the snapshot at path when it is at most maxAge old at now; ok is
// false when there is none or it is older (a damaged file counts as none).
func ReadSnapshot(path string, maxAge time.Duration, now time.Time) (*Snapshot, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var s Snapshot
	if json.Unmarshal(b, &s) != nil || now.Sub(s.Time) > maxAge || s.Time.After(now) {
		return nil, false
	}
	return &s, true
}

// WriteSnapshot saves a listing atomically, readable by its owner only (it maps the fleet).
func WriteSnapshot(path string, s *Snapshot) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}
