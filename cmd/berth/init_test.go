package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/hashicorp/hcl/v2"
)

// berthEnv runs the CLI in-process with an environment of its own.
func berthEnv(vars map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code := run(args, e)
	return code, out.String(), errOut.String()
}

// loadClean loads dir and fails on any error.
func loadClean(t *testing.T, dir string) *inventory.Inventory {
	t.Helper()
	inv, diags := inventory.Load(dir, inventory.Options{Getenv: func(string) string { return "" }})
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Errorf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
		}
	}
	return inv
}

// TestInit: the scaffold for hosts given as arguments validates, with those hosts, a
// docker and syslog layer and a stack, and init prints the next three commands.
func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "inv")
	code, out, stderr := berth("init", dir, "web-2", "Web-1.example.net")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"berth hosts trust web-1.example.net " + dir + "  ", "berth plan " + dir + " ", "berth apply " + dir + " "} {
		if !strings.Contains(out, "\n  "+want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	inv := loadClean(t, dir)
	var got []string
	for _, h := range inv.Hosts {
		got = append(got, h.Name+"="+h.Address)
		if h.Docker == nil || h.Syslog == nil {
			t.Errorf("%s: docker %v, syslog %v", h.Name, h.Docker != nil, h.Syslog != nil)
		}
	}
	if strings.Join(got, " ") != "web-1.example.net=Web-1.example.net web-2=web-2" {
		t.Errorf("hosts %v", got)
	}
	if len(inv.Stacks) != 1 {
		t.Errorf("%d stacks", len(inv.Stacks))
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	for _, want := range []string{"\nsecrets/\n", "\n*.vars\n", "\n.berth/\n"} {
		if !strings.Contains(string(gi), want) {
			t.Errorf(".gitignore lacks %q", want)
		}
	}
}

// TestInitSSHConfig: with no HOST, the hosts are the Host entries of ~/.ssh/config that name
// one host; patterns are left out.
func TestInitSSHConfig(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(`Host *
  ServerAliveInterval 30
Host bastion
  HostName 203.0.113.5
Host web-? *.internal
  User ops
Host db-1 db-2
  ProxyJump bastion
Host !legacy app-1
`), 0o600)
	dir := filepath.Join(t.TempDir(), "inv")
	code, out, stderr := berthEnv(map[string]string{"HOME": home}, "init", dir)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(out, "hosts: app-1, bastion, db-1, db-2 (from the Host entries of ~/.ssh/config)") {
		t.Errorf("stdout:\n%s", out)
	}
	if inv := loadClean(t, dir); len(inv.Hosts) != 4 {
		t.Errorf("%d hosts", len(inv.Hosts))
	}
}

// TestInitRefuses: init never overwrites a file and never adds to an inventory; it writes
// nothing then (exit 1).
func TestInitRefuses(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "stacks.hcl"), []byte("# mine\n"), 0o644)
	code, out, stderr := berth("init", dir, "h1")
	if code != exitError || out != "" || !strings.HasPrefix(stderr, "error: "+dir+" already has stacks.hcl\nhint: ") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stacks.hcl")); string(b) != "# mine\n" {
		t.Errorf("stacks.hcl was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "hosts.hcl")); err == nil {
		t.Errorf("hosts.hcl was written")
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "main.hcl"), []byte(""), 0o644)
	if code, _, stderr := berth("init", other, "h1"); code != exitError || !strings.Contains(stderr, "already holds an inventory (main.hcl)") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestInitUsage: the usage line shows that HOST repeats.
func TestInitUsage(t *testing.T) {
	if _, out, _ := berth("init", "--help"); !strings.HasPrefix(out, "usage: berth init [flags] [DIR] [HOST...]\n") {
		t.Errorf("usage:\n%s", out)
	}
}
