package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/provisioner/conn/conntest"
	"golang.org/x/crypto/ssh"
)

// sshInventory writes an inventory of in-process SSH servers (web-1, web-2...) that trust one
// client key, with a known_hosts file pinning all of them.
func sshInventory(t *testing.T, n int) (string, []*conntest.Server) {
	t.Helper()
	keyFile, signer := conntest.ClientKeyFile(t)
	var srvs []*conntest.Server
	for i := 0; i < n; i++ {
		srvs = append(srvs, conntest.Start(t, signer.PublicKey()))
	}
	kh := conntest.KnownHosts(t, srvs...)
	var b strings.Builder
	fmt.Fprintf(&b, "defaults {\n  become = false\n  ssh {\n    user = \"deploy\"\n    identity = %q\n    known_hosts = %q\n  }\n}\n", keyFile, kh)
	for i, s := range srvs {
		addr, port := s.Addr()
		fmt.Fprintf(&b, "host \"web-%d\" {\n  address = %q\n  ssh {\n    port = %d\n  }\n}\n", i+1, addr, port)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosts.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, srvs
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "HOME" {
			return t.TempDir()
		}
		return ""
	}}
	code := run(args, e)
	return code, out.String(), errb.String()
}

func TestFactsOverSSHIsOneRoundTripPerHost(t *testing.T) {
	dir, _ := sshInventory(t, 3)
	code, out, errs := runCLI(t, "", "facts", dir, "--json", "--stats")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var got []struct {
		Host string `json:"host"`
		CPUs int    `json:"cpus"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 3 || got[0].Host != "web-1" || got[2].Host != "web-3" || got[0].CPUs < 1 {
		t.Fatalf("facts json %v: %s", err, out)
	}
	if !strings.Contains(errs, "stats: 3 host(s), 3 round trip(s)") {
		t.Errorf("stats line missing or not one round trip per host:\n%s", errs)
	}
}

func TestExecFansOutAndReportsEachHost(t *testing.T) {
	dir, _ := sshInventory(t, 2)
	code, out, errs := runCLI(t, "", "exec", dir, "-l", "*", "--", "sh", "-c", "echo hi from $0; exit 0", "x y")
	if code != exitOK || strings.Count(out, "hi from x y") != 2 || !strings.Contains(out, "web-1 | hi from x y") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "", "exec", dir, "-l", "web-2", "--", "false")
	if code != exitError || !strings.Contains(errs, "web-2: exit status 1") || !strings.Contains(errs, "1 failed (web-2)") {
		t.Fatalf("failing command: exit %d\n%s", code, errs)
	}
	if code, _, _ := runCLI(t, "", "exec", dir, "--", "true"); code != exitError {
		t.Errorf("exec without -l ran")
	}
}

func TestHostsTrustNeedsMatchingFingerprint(t *testing.T) {
	dir, srvs := sshInventory(t, 1)
	kh := filepath.Join(dir, "fresh_known_hosts")
	hcl, _ := os.ReadFile(filepath.Join(dir, "hosts.hcl"))
	old := string(hcl)
	i := strings.Index(old, "known_hosts = ")
	j := i + strings.Index(old[i:], "\n")
	os.WriteFile(filepath.Join(dir, "hosts.hcl"), []byte(old[:i]+fmt.Sprintf("known_hosts = %q", kh)+old[j:]), 0o644)

	code, _, errs := runCLI(t, "", "facts", dir)
	if code != exitError || !strings.Contains(errs, "unknown host key") || !strings.Contains(errs, "berth hosts trust web-1") {
		t.Fatalf("unknown host: exit %d\n%s", code, errs)
	}
	code, _, errs = runCLI(t, "", "hosts", "trust", "web-1", dir, "--fingerprint", "SHA256:wrong")
	if code != exitError || !strings.Contains(errs, "fingerprint mismatch") {
		t.Fatalf("wrong fingerprint: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(kh); err == nil {
		t.Fatal("known_hosts written despite a wrong fingerprint")
	}
	code, _, _ = runCLI(t, "no\n", "hosts", "trust", "web-1", dir)
	if code != exitError {
		t.Fatal("declined prompt trusted the key")
	}
	fp := ssh.FingerprintSHA256(srvs[0].HostKey.PublicKey())
	code, out, errs := runCLI(t, "", "hosts", "trust", "web-1", dir, "--fingerprint", fp)
	if code != exitOK || !strings.Contains(out, fp) {
		t.Fatalf("trust: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "", "facts", dir); code != exitOK {
		t.Fatalf("facts after trust: %s", errs)
	}
}

func TestUnlockShowsFreeHost(t *testing.T) {
	if _, err := os.Stat("/run/berth/lock"); err == nil {
		t.Skip("this machine holds a berth lock; the in-process server runs commands here")
	}
	dir, _ := sshInventory(t, 1)
	code, out, errs := runCLI(t, "", "unlock", "web-1", dir)
	if code != exitOK || !strings.Contains(out, "web-1: not locked") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}
