package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real berth binary, built once per test binary: integration scenarios drive the CLI as
// an ops person or a cron job would, and check the hosts, not only the output.
var berthBin struct {
	once sync.Once
	path string
	err  error
}

// $BERTH_BINARY, when set, is used instead (a release build, or a build of another tree).
func berthBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BERTH_BINARY"); p != "" {
		return p
	}
	berthBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "berth-integration-bin-")
		if err != nil {
			berthBin.err = err
			return
		}
		berthBin.path = filepath.Join(dir, "berth")
		// Static, as `make` builds releases: the same binary then serves as the agent on the
		// hosts, whatever their libc.
		cmd := exec.Command("go", "build", "-o", berthBin.path, "github.com/berth-dev/berth/cmd/berth")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			berthBin.err = errors.New("go build berth: " + err.Error() + ": " + string(out))
			return
		}
		// The small agent beside it, as `make` puts it: berth uploads that one.
		cmd = exec.Command("go", "build", "-o", filepath.Join(dir, "berth-agent-linux-"+runtime.GOARCH), "github.com/berth-dev/berth/cmd/berth-agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			berthBin.err = errors.New("go build berth-agent: " + err.Error() + ": " + string(out))
		}
	})
	if berthBin.err != nil {
		t.Fatal(berthBin.err)
	}
	return berthBin.path
}

// berthResult is what one berth command did.
type berthResult struct {
	Stdout, Stderr string
	Code           int
}

// runBerth runs `berth ARGS...` with a clean environment: no ssh-agent, no ~/.ssh (the
// inventory names the key and known_hosts), so nothing from the machine leaks into a test.
func runBerth(t *testing.T, timeout time.Duration, args ...string) berthResult {
	t.Helper()
	return runBerthEnv(t, timeout, nil, args...)
}

// runBerthEnv is runBerth with extra environment variables (BERTH_VAR_..., BERTH_AGENT=0).
// A berth still running at the timeout is killed and fails the test.
func runBerthEnv(t *testing.T, timeout time.Duration, env []string, args ...string) berthResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBinary(t), args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=dumb"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := berthResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("berth %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.Stderr)
	}
	if ctx.Err() != nil {
		t.Fatalf("berth %s did not end within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, r.Stdout, r.Stderr)
	}
	t.Logf("berth %s: exit %d", strings.Join(args, " "), r.Code)
	return r
}

// wantCode fails the test with berth's output when the exit code is not want.
func (r berthResult) wantCode(t *testing.T, want int) {
	t.Helper()
	if r.Code != want {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, want, r.Stdout, r.Stderr)
	}
}
