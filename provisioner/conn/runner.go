package conn

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/berth-dev/berth/modules"
)

// shell runs one command line on a host and reports its exit code: SSH opens a session on
// its connection, Local starts sh -c. A non-zero exit is not an error; a lost connection,
// a cancelled context or a command killed by a signal is.
type shell interface {
	exec(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
}

// runner implements modules.Host on top of a shell, so SSH and Local share every script.
type runner struct {
	name   string
	become bool
	sh     shell
	stats  *counter
}

// Name implements modules.Host.
func (r *runner) Name() string { return r.name }

// Stats returns what this host's connection cost so far.
func (r *runner) Stats() Stats { return r.stats.snapshot() }

func (r *runner) commandLine(argv []string, noBecome bool) string {
	if r.become && !noBecome {
		return "sudo -n -- " + modules.QuoteArgv(argv)
	}
	return modules.QuoteArgv(argv)
}

// Run implements modules.Host.
func (r *runner) Run(ctx context.Context, cmd modules.Command) (modules.Result, error) {
	if len(cmd.Argv) == 0 {
		return modules.Result{}, fmt.Errorf("run on %s: empty command", r.name)
	}
	return r.runLine(ctx, r.commandLine(cmd.Argv, cmd.NoBecome), cmd.Argv[0], cmd.Stdin, cmd.Stream, !cmd.NoBecome)
}

// runLine runs an already quoted line; what names the command in errors.
func (r *runner) runLine(ctx context.Context, line, what string, stdin io.Reader, stream func(string, string), sudo bool) (modules.Result, error) {
	var out, errb bytes.Buffer
	stdout, stderr := io.Writer(&out), io.Writer(&errb)
	var lw *lineWriters
	if stream != nil {
		lw = &lineWriters{fn: stream}
		stdout, stderr = io.MultiWriter(&out, lw.writer("stdout")), io.MultiWriter(&errb, lw.writer("stderr"))
	}
	cr := &countingReader{r: stdin}
	if stdin == nil {
		cr = nil
	}
	code, err := r.sh.exec(ctx, line, readerOrNil(cr), stdout, stderr)
	if lw != nil {
		lw.flush()
	}
	r.stats.trip(cr.count())
	res := modules.Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: code}
	if err != nil {
		return res, fmt.Errorf("run %s on %s: %w", what, r.name, err)
	}
	if sudo && r.become && sudoWantsPassword(code, errb.Bytes()) {
		return res, &SudoPasswordError{Host: r.name}
	}
	return res, nil
}

// sudoWantsPassword recognises `sudo -n` refusing to prompt ("a password is required",
// "a terminal is required to read the password").
func sudoWantsPassword(code int, stderr []byte) bool {
	if code != 1 {
		return false
	}
	for _, l := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(l, "sudo: ") && strings.Contains(l, "password") {
			return true
		}
	}
	return false
}

// countingReader counts stdin bytes; atomically, because the SSH library may still be
// copying stdin when the command has already exited.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) count() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

func readerOrNil(c *countingReader) io.Reader {
	if c == nil {
		return nil
	}
	return c
}

// lineWriters turns output chunks into whole lines for Command.Stream; one lock for both
// streams so the callback is never called concurrently.
type lineWriters struct {
	mu   sync.Mutex
	fn   func(stream, line string)
	bufs map[string]*bytes.Buffer
}

type lineWriter struct {
	lw     *lineWriters
	stream string
}

func (l *lineWriters) writer(stream string) io.Writer { return &lineWriter{l, stream} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.lw.mu.Lock()
	defer w.lw.mu.Unlock()
	if w.lw.bufs == nil {
		w.lw.bufs = map[string]*bytes.Buffer{}
	}
	b := w.lw.bufs[w.stream]
	if b == nil {
		b = &bytes.Buffer{}
		w.lw.bufs[w.stream] = b
	}
	b.Write(p)
	for {
		i := bytes.IndexByte(b.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(b.Next(i + 1))
		w.lw.fn(w.stream, strings.TrimSuffix(line, "\n"))
	}
}

func (l *lineWriters) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range []string{"stdout", "stderr"} {
		if b := l.bufs[s]; b != nil && b.Len() > 0 {
			l.fn(s, b.String())
			b.Reset()
		}
	}
}
