package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// A relRun drives the real berth binary against one inventory directory the way an operator
// would, with a sensitive variable set through the environment, and keeps every byte berth
// printed so the secrets checks can grep all of it (secrets_test.go).

type relRun struct {
	bed  *testbed.Bed
	dir  string
	env  []string // extra environment (BERTH_VAR_...)
	scan *canaryScan

	mu      sync.Mutex
	outputs []string // every stdout and stderr so far, and every report file berth wrote
}

// berth runs `berth ARGS...`, records its output and fails the test unless it exits want.
func (r *relRun) berth(t *testing.T, timeout time.Duration, want int, args ...string) berthResult {
	t.Helper()
	res := r.berthAny(t, timeout, args...)
	res.wantCode(t, want)
	return res
}

// berthAny is berth without the exit code check.
func (r *relRun) berthAny(t *testing.T, timeout time.Duration, args ...string) berthResult {
	t.Helper()
	res := runBerthEnv(t, timeout, r.env, args...)
	r.record(res.Stdout, res.Stderr)
	return res
}

func (r *relRun) record(outs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs, outs...)
}

// recordFile adds a file berth wrote (JUnit report, saved plan) to what is checked for secrets.
func (r *relRun) recordFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("berth did not write %s: %v", path, err)
	}
	r.record(string(b))
	return string(b)
}

// faultRun is a berth command under way whose JSON events trigger a fault.
type faultRun struct {
	cmd *exec.Cmd
}

// signal sends sig to the running berth, as a terminal's Ctrl-C would.
func (f *faultRun) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := f.cmd.Process.Signal(sig); err != nil {
		t.Errorf("signal berth: %v", err)
	}
}

// withFault is runWithFault with this suite's environment, and records berth's output.
func (r *relRun) withFault(t *testing.T, timeout time.Duration, args []string, match func(ev map[string]any) bool, fault func(f *faultRun)) berthResult {
	t.Helper()
	res := runWithFault(t, timeout, r.env, args, match, fault)
	r.record(res.Stdout, res.Stderr)
	return res
}

// runWithFault runs `berth ARGS... --json`, and calls fault (in its own goroutine, so berth's
// output keeps flowing) once, on the first event match accepts. It returns when both berth and
// the fault are done; the test fails if the event never came.
func runWithFault(t *testing.T, timeout time.Duration, env, args []string, match func(ev map[string]any) bool, fault func(f *faultRun)) berthResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBinary(t), append(args, "--json")...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=dumb"}, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	var faultDone sync.WaitGroup
	fired := false
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		var ev map[string]any
		if !fired && json.Unmarshal(sc.Bytes(), &ev) == nil && match(ev) {
			fired = true
			faultDone.Add(1)
			go func() { defer faultDone.Done(); fault(&faultRun{cmd: cmd}) }()
		}
	}
	err = cmd.Wait()
	faultDone.Wait()
	res := berthResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		t.Fatalf("berth %s did not end within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, res.Stdout, res.Stderr)
	}
	t.Logf("berth %s --json (with a fault): exit %d", strings.Join(args, " "), res.Code)
	if !fired {
		t.Fatalf("the fault's event never came:\n%s\n%s", res.Stdout, res.Stderr)
	}
	return res
}

// event matchers for withFault.

func onPlanReady(ev map[string]any) bool { return ev["type"] == "plan.ready" }

func onChange(host, address string) func(map[string]any) bool {
	return func(ev map[string]any) bool {
		return ev["type"] == "change.started" && ev["host"] == host && ev["address"] == address
	}
}

// outcome returns the summary outcome of host in an apply --json output ("" when absent).
func outcome(out, host string) string {
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Type    string `json:"type"`
			Summary struct {
				Hosts []struct {
					Host    string `json:"host"`
					Outcome string `json:"outcome"`
				} `json:"hosts"`
			} `json:"summary"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "summary" {
			continue
		}
		for _, h := range ev.Summary.Hosts {
			if h.Host == host {
				return h.Outcome
			}
		}
	}
	return ""
}

// writeInv writes a file of the inventory directory (creating its directory).
func (r *relRun) writeInv(t *testing.T, rel, content string) {
	t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, content)
}

// lockHeld says whether a berth lock is on h.
func lockHeld(t *testing.T, h *testbed.Host) bool {
	t.Helper()
	_, err := h.Exec(context.Background(), "test", "-e", "/run/berth/lock")
	return err == nil
}

// sha is the SHA-256 of a file on h, or "absent".
func sha(t *testing.T, h *testbed.Host, path string) string {
	t.Helper()
	out, err := h.Exec(context.Background(), "sh", "-c", `sha256sum "$1" 2>/dev/null | cut -d' ' -f1 || true`, "sh", path)
	if err != nil {
		t.Fatalf("sha256 of %s on %s: %v", path, h.Name, err)
	}
	if out == "" {
		return "absent"
	}
	return out
}

// waitHost waits until h accepts the test user over SSH again.
func waitHost(t *testing.T, h *testbed.Host) {
	t.Helper()
	if err := h.WaitSSH(context.Background(), 3*time.Minute); err != nil {
		t.Fatal(err)
	}
}
