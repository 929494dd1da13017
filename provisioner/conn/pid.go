package conn

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pidPrefix makes a remote command line report the shell's pid (which exec hands to the
// command, leader of its process group) on stderr before anything else.
const pidPrefix = `echo "@@berth-pid $$" >&2; exec `

// pidCatcher strips the pid marker from the start of stderr and remembers the pid.
type pidCatcher struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	done  bool
	pid   int
	known chan struct{} // closed once the marker was read (or stderr proved to lack it)
	once  sync.Once
}

func newPidCatcher(w io.Writer) *pidCatcher {
	return &pidCatcher{w: w, known: make(chan struct{})}
}

func (p *pidCatcher) settle() { p.once.Do(func() { close(p.known) }) }

func (p *pidCatcher) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return writeAll(p.w, b, len(b))
	}
	p.buf = append(p.buf, b...)
	i := bytes.IndexByte(p.buf, '\n')
	if i < 0 && len(p.buf) < 64 {
		return len(b), nil
	}
	p.done = true
	defer p.settle()
	rest := p.buf
	if i >= 0 {
		if v, ok := strings.CutPrefix(string(p.buf[:i]), "@@berth-pid "); ok {
			p.pid, _ = strconv.Atoi(v)
			rest = p.buf[i+1:]
		}
	}
	p.buf = nil
	return writeAll(p.w, rest, len(b))
}

func writeAll(w io.Writer, b []byte, n int) (int, error) {
	if len(b) == 0 {
		return n, nil
	}
	if _, err := w.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}

func (p *pidCatcher) get() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// flush passes on what is still held back (stderr shorter than a line, without the marker).
func (p *pidCatcher) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done && len(p.buf) > 0 {
		p.w.Write(p.buf)
	}
	p.done, p.buf = true, nil
	p.settle()
}

// wait returns the pid once known, giving up after a while (0: unknown). The marker comes
// on stderr, which may lag behind stdout.
func (p *pidCatcher) wait(limit time.Duration) int {
	select {
	case <-p.known:
	case <-time.After(limit):
	}
	return p.get()
}
