package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// killGrace is how long a cancelled command's group has between TERM and KILL.
const killGrace = time.Second

// command runs argv in its own process group with the given stdin (nil: /dev/null), and
// kills the whole group when ctx ends. It returns the exit code as a shell reports it
// (127 not found, 126 not executable, 128+N killed by signal N).
func command(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return startFailure(argv[0], err, stderr), nil
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitStatus(err)
	case <-ctx.Done():
		killGroup(cmd.Process.Pid, done)
		return -1, ctx.Err()
	}
}

// killGroup sends TERM to the group, then KILL after killGrace, and waits for the leader.
// Members that outlive their leader get the KILL too.
func killGroup(pid int, done <-chan error) {
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(killGrace):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
	syscall.Kill(-pid, syscall.SIGKILL)
}

// startFailure reports a command that could not start like sh would.
func startFailure(name string, err error, stderr io.Writer) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, syscall.ENOENT) {
		fmt.Fprintf(stderr, "berth agent: %s: not found\n", name)
		return 127
	}
	fmt.Fprintf(stderr, "berth agent: %s: %v\n", name, err)
	return 126
}

func exitStatus(err error) (int, error) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// cmdProbe runs a read-only command for observe.
func cmdProbe(ctx context.Context, argv []string) (ProbeResult, error) {
	var out, errb bytes.Buffer
	code, err := command(ctx, argv, nil, &out, &errb)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return ProbeResult{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: code, Missing: code == 127}, nil
}

// run runs a Run request. With Stream, output goes to emit as it arrives instead of into
// the result.
func run(ctx context.Context, r *Run, emit func(Output)) (*RunResult, error) {
	var out, errb bytes.Buffer
	stdout, stderr := io.Writer(&out), io.Writer(&errb)
	if r.Stream {
		var mu sync.Mutex
		stdout, stderr = &emitter{"stdout", emit, &mu}, &emitter{"stderr", emit, &mu}
	}
	var stdin io.Reader
	if r.Stdin != nil {
		stdin = bytes.NewReader(r.Stdin)
	}
	code, err := command(ctx, r.Argv, stdin, stdout, stderr)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Argv[0], err)
	}
	return &RunResult{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: code}, nil
}

// emitter turns a stream's writes into Output events, one at a time.
type emitter struct {
	stream string
	emit   func(Output)
	mu     *sync.Mutex
}

func (e *emitter) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.emit(Output{Stream: e.stream, Data: append([]byte(nil), p...)})
	return len(p), nil
}
