package conn

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A warm start runs no command besides stat (the cache directory's mode check) before it
// execs the agent: the architecture comes from procfs and the uid is not looked up while
// the home cache is used. Every process there is paid on every host of every run. With
// only stat on PATH, a script that ran uname or id would not find the agent.
func TestAWarmAgentStartRunsOnlyStat(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	if err != nil {
		t.Skip("no /proc/sys/kernel/arch (Linux before 6.1): the start script asks uname -m")
	}
	arch := strings.TrimSpace(string(b))
	stat, err := exec.LookPath("stat")
	if err != nil {
		t.Fatal(err)
	}
	home, bin := t.TempDir(), t.TempDir()
	if err := os.Symlink(stat, filepath.Join(bin, "stat")); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(home, ".cache", "berth", "agent")
	if err := os.MkdirAll(filepath.Join(cache, "abc"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cache, 0o700)
	if err := os.WriteFile(filepath.Join(cache, "abc", "berth"), []byte("#!/bin/sh\necho agent started: $1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", agentStartScript, "sh", "0", "other=def", arch+"=abc")
	cmd.Env = []string{"HOME=" + home, "PATH=" + bin}
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "agent started: agent\n" {
		t.Fatalf("start script: %v, output %q", err, out)
	}
}
