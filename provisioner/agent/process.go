package agent

import (
	"context"
	"io"
	"os/signal"
	"syscall"
)

// ServeProcess is the agent process's main, shared by `berth agent` and `berth-agent agent`.
// SIGTERM (the host shutting down) cancels what runs. SIGHUP and SIGPIPE are ignored: they
// are what a closing SSH session sends, and berth going away must not cut a change half way
// (Serve finishes what is in flight when its input ends; see lost).
func ServeProcess(in io.Reader, out io.Writer) error {
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	return Serve(ctx, in, out)
}
