package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needAnsible skips without ansible-inventory, except in CI and integration runs, where it
// fails (see ansible/list_test.go).
func needAnsible(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ansible-inventory"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" || os.Getenv("BERTH_INTEGRATION") == "1" {
		t.Fatal("ansible-inventory is not on PATH (apt-get install ansible); CI and BERTH_INTEGRATION=1 runs need it")
	}
	t.Skip("ansible-inventory is not on PATH (apt-get install ansible)")
}

// TestImportAnsible: an import writes DIR/hosts.hcl and validates it (exit 0); the same
// import again is up to date (exit 0); after a hand edit it prints the diff and writes
// nothing (exit 2); --force overwrites (exit 0).
func TestImportAnsible(t *testing.T) {
	needAnsible(t)
	src := filepath.Join("..", "..", "ansible", "testdata", "vars", "hosts.ini")
	dir := filepath.Join(t.TempDir(), "inv")
	file := filepath.Join(dir, "hosts.hcl")

	code, out, stderr := berth("import", "ansible", "-i", src, dir)
	if code != exitOK || !strings.Contains(out, "wrote "+file+": 3 hosts, 2 groups, 2 secrets") || !strings.Contains(out, dir+" is valid: 3 hosts, 2 groups") {
		t.Fatalf("first import: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	imported, _ := os.ReadFile(file)
	for _, secret := range []string{"hunter2", "plaintext-but-secret", "ANSIBLE_VAULT"} {
		if strings.Contains(string(imported), secret) || strings.Contains(out+stderr, secret) {
			t.Errorf("%q written or printed", secret)
		}
	}

	code, out, _ = berth("import", "ansible", "-i", src, dir)
	if code != exitOK || out != file+" is up to date\n" {
		t.Errorf("second import: exit %d, stdout %q", code, out)
	}

	edited := strings.Replace(string(imported), `address = "198.51.100.1"`, `address = "198.51.100.101"`, 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = berth("import", "ansible", "-i", src, dir)
	wantDiff := "-  address = \"198.51.100.101\"\n+  address = \"198.51.100.1\"\n"
	if code != exitChanges || !strings.HasPrefix(out, "--- "+file+"\n+++ ") || !strings.Contains(out, wantDiff) ||
		!strings.Contains(stderr, "nothing written") {
		t.Errorf("import over an edit: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if now, _ := os.ReadFile(file); string(now) != edited {
		t.Errorf("the edited file was overwritten without --force")
	}

	code, _, stderr = berth("import", "ansible", "-i", src, dir, "--force")
	if now, _ := os.ReadFile(file); code != exitOK || string(now) != string(imported) {
		t.Errorf("--force: exit %d, stderr %q; file restored: %v", code, stderr, string(now) == string(imported))
	}
}

// TestImportAnsibleBroken: Ansible's own error for an inventory it cannot read, exit 1,
// nothing written.
func TestImportAnsibleBroken(t *testing.T) {
	needAnsible(t)
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "hosts.ini")
	os.WriteFile(bad, []byte("[web\n"), 0o644)
	code, _, stderr := berth("import", "ansible", "-i", bad, filepath.Join(tmp, "inv"))
	if code != exitError || !strings.HasPrefix(stderr, "error: ansible-inventory -i "+bad+": ") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "inv")); err == nil {
		t.Errorf("the directory was created")
	}
}

// TestImportAnsibleMissing: without ansible-inventory the error says what to install.
func TestImportAnsibleMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	code, out, stderr := berth("import", "ansible", "-i", "hosts.ini", t.TempDir())
	if code != exitError || out != "" || !strings.Contains(stderr, "ansible-inventory not found on PATH (install Ansible") ||
		!strings.Contains(stderr, "hint: ") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
}
