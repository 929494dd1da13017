package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// A file block for many hosts is desired state held once: the hosts that get the same
// content share one copy and one hash; a content that differs per host is its own.
func TestIdenticalContentsAreHeldAndHashedOnce(t *testing.T) {
	inv, diags := Load(writeInv(t, `
host "a" {
  address = "10.0.0.1"
}
host "b" {
  address = "10.0.0.2"
}
host "c" {
  address = "10.0.0.3"
}
file "/etc/motd" {
  hosts   = "*"
  content = "welcome\n"
}
file "/etc/hostname" {
  hosts   = "*"
  content = "${host.name}\n"
}
`), Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	file := func(h, path string) *File {
		for _, f := range inv.Host(h).Files {
			if f.Path == path {
				return f
			}
		}
		t.Fatalf("%s has no %s", h, path)
		return nil
	}
	motd := file("a", "/etc/motd")
	sum := sha256.Sum256([]byte("welcome\n"))
	if motd.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %q, want the content's", motd.SHA256)
	}
	for _, h := range []string{"b", "c"} {
		if f := file(h, "/etc/motd"); &f.Content[0] != &motd.Content[0] || f.SHA256 != motd.SHA256 {
			t.Errorf("%s holds its own copy of the shared /etc/motd", h)
		}
	}
	a, b := file("a", "/etc/hostname"), file("b", "/etc/hostname")
	if string(a.Content) != "a\n" || string(b.Content) != "b\n" || a.SHA256 == b.SHA256 {
		t.Errorf("per-host contents mixed up: %q %q", a.Content, b.Content)
	}
}
