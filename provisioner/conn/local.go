package conn

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/berth-dev/berth/modules"
)

// Local is this machine as a modules.Host: the same scripts as SSH, run by /bin/sh. Become
// uses `sudo -n --` only when berth does not already run as root.
type Local struct {
	runner
	stats counter
}

var _ modules.Host = (*Local)(nil)

// NewLocal returns the local host under the given name.
func NewLocal(name string, become bool) *Local {
	l := &Local{}
	l.runner = runner{name: name, become: become && os.Geteuid() != 0, sh: l, stats: &l.stats}
	return l
}

func (l *Local) exec(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, errors.New("killed by signal " + ws.Signal().String())
		}
		return ee.ExitCode(), nil
	}
	return 0, err
}

// Close implements io.Closer for symmetry with SSH.
func (l *Local) Close() error { return nil }
