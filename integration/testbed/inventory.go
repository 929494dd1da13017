package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteInventory writes a ready-to-use berth inventory for the bed into dir: hosts.hcl (the
// test user, the bed's key, strict known_hosts) and known_hosts beside it. Every host has the
// labels role = "app" and release = its Debian release.
func (b *Bed) WriteInventory(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("inventory dir %s: %w", dir, err)
	}
	known, err := os.ReadFile(b.KnownHosts)
	if err != nil {
		return fmt.Errorf("read bed known_hosts: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "known_hosts"), known, 0o644); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "hosts.hcl"), []byte(b.inventoryHCL()), 0o644)
}

func (b *Bed) inventoryHCL() string {
	key, err := filepath.Abs(b.KeyFile)
	if err != nil {
		key = b.KeyFile
	}
	var s strings.Builder
	fmt.Fprintf(&s, "# Test bed %s (written by the testbed package).\n", b.Prefix)
	fmt.Fprintf(&s, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n}\n",
		TestUser, key)
	for _, h := range b.Hosts {
		fmt.Fprintf(&s, "\nhost %q {\n  address = %q\n  labels  = { role = \"app\", release = %q }\n}\n",
			h.Name, h.Address, h.Release)
	}
	return s.String()
}
