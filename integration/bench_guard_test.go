package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchGuardMax is the gross regression the guard fails on: berth's median more than twice
// the reference's in the same run. Normal is 1.1-1.4 (docs/performance.md); the bound is
// loose because CI machines are shared and small cells are noisy.
const benchGuardMax = 2.0

var ratioRow = regexp.MustCompile(`(?m)^\| (check|apply|true) \| 10 \| 10 \| ([0-9.]+|-) \|`)

// The fleet benchmark's smallest useful cell, N=10 hosts x K=10 files, 3 runs of berth and
// the reference program (integration/bench), as a regression guard on every integration
// run: it prints berth/reference for a no-change drift, a first apply and an ad-hoc command,
// and fails only when one passes benchGuardMax. It needs root (the fleet's sshd daemons log
// in as root on loopback) and fails, never skips, without it. About a minute.
func TestBenchGuard(t *testing.T) {
	requireIntegration(t)
	if os.Geteuid() != 0 {
		t.Fatal("the bench guard needs root: its loopback sshd daemons log in as root")
	}
	berth := berthBinary(t)
	bin := t.TempDir()
	agent := "berth-agent-linux-" + runtime.GOARCH
	if out, err := exec.Command("cp", filepath.Join(filepath.Dir(berth), agent), filepath.Join(bin, agent)).CombinedOutput(); err != nil {
		t.Fatalf("copy the agent: %v %s", err, out)
	}
	table := filepath.Join(bin, "table.md")
	cmd := exec.Command(filepath.Join("bench", "run"), "-n", "10", "-k", "10", "-runs", "3", "-tools", "ref|berth",
		"-dir", filepath.Join(t.TempDir(), "fleet"), "-port", "22322", "-timeout", "60s", "-out", table)
	cmd.Env = append(os.Environ(), "BENCH_BIN="+bin, "BENCH_BERTH="+berth)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("integration/bench/run: %v\n%s", err, out)
	}
	b, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bench guard took %s:\n%s", time.Since(start).Round(time.Second), b)
	got := map[string]string{}
	for _, m := range ratioRow.FindAllStringSubmatch(string(b), -1) {
		got[m[1]] = m[2]
	}
	for _, scen := range []string{"check", "apply", "true"} {
		r, err := strconv.ParseFloat(got[scen], 64)
		switch {
		case err != nil:
			t.Errorf("%s N=10 K=10: no berth/reference ratio in the table (%q)", scen, got[scen])
		case r > benchGuardMax:
			t.Errorf("%s N=10 K=10: berth/reference %.2f, more than %.1f: a gross performance regression (docs/performance.md)", scen, r, benchGuardMax)
		default:
			t.Logf("%s N=10 K=10: berth/reference %.2f (guard fails above %.1f)", scen, r, benchGuardMax)
		}
	}
	if strings.Contains(string(b), "| 0 |") {
		t.Errorf("a tool has no successful run:\n%s", b)
	}
}
