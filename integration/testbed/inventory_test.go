package testbed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteInventory(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "bed-known")
	os.WriteFile(known, []byte("10.77.5.11 ssh-ed25519 AAAA\n"), 0o644)
	b := &Bed{Prefix: "bt1-ab", KeyFile: "/k/id", KnownHosts: known, Hosts: []*Host{
		{Name: "h1", Address: "10.77.5.11", Release: Bookworm},
		{Name: "h2", Address: "10.77.5.12", Release: Trixie},
	}}
	out := filepath.Join(dir, "inv")
	if err := b.WriteInventory(out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, "hosts.hcl"))
	want := `# Test bed bt1-ab (written by the testbed package).
defaults {
  ssh {
    user        = "tester"
    identity    = "/k/id"
    known_hosts = "known_hosts"
  }
}

host "h1" {
  address = "10.77.5.11"
  labels  = { role = "app", release = "bookworm" }
}

host "h2" {
  address = "10.77.5.12"
  labels  = { role = "app", release = "trixie" }
}
`
	if string(got) != want {
		t.Errorf("hosts.hcl:\n%s\nwant:\n%s", got, want)
	}
	kh, _ := os.ReadFile(filepath.Join(out, "known_hosts"))
	if !strings.Contains(string(kh), "10.77.5.11 ssh-ed25519") {
		t.Errorf("known_hosts not copied: %q", kh)
	}
}
