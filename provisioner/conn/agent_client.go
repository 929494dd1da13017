package conn

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/provisioner/agent"
	"golang.org/x/crypto/ssh"
)

// cancelWait bounds how long a cancelled call waits for the agent to confirm that the
// command's process group is gone.
const cancelWait = 5 * time.Second

// agentClient speaks the protocol over one long-lived session: requests from any
// goroutine, answers matched by id by one reader goroutine.
type agentClient struct {
	host   string
	sess   *ssh.Session
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	stats  *counter
	peak   *atomic.Int64
	// cpu and childCPU: the agent's CPU time and its commands', microseconds, as of its
	// last answer (agent.CPU).
	cpu, childCPU *atomic.Int64

	wmu     sync.Mutex
	mu      sync.Mutex
	pending map[uint64]*pendingCall
	next    atomic.Uint64
	dead    chan struct{} // closed when the stream ended
	deadErr error
}

type pendingCall struct {
	out  func(agent.Output)
	done chan agent.Response
}

// register prepares a call before its request is written, so no answer can be missed.
func (c *agentClient) register(req *agent.Request, out func(agent.Output)) *pendingCall {
	req.ID = c.next.Add(1)
	p := &pendingCall{out: out, done: make(chan agent.Response, 1)}
	c.mu.Lock()
	c.pending[req.ID] = p
	c.mu.Unlock()
	return p
}

func (c *agentClient) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// write sends requests as one write; counted as one round trip when trip is set.
func (c *agentClient) write(trip bool, reqs ...*agent.Request) error {
	var buf []byte
	for _, r := range reqs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if trip {
		c.stats.trip(int64(len(buf)))
	}
	_, err := c.stdin.Write(buf)
	return err
}

// call sends one request and waits for its final answer. A cancelled ctx cancels the
// request on the host and waits (bounded) until the agent confirms it ended.
func (c *agentClient) call(ctx context.Context, req *agent.Request, out func(agent.Output)) (agent.Response, error) {
	p := c.register(req, out)
	if err := c.write(true, req); err != nil {
		c.forget(req.ID)
		return agent.Response{}, c.failure(err)
	}
	return c.wait(ctx, req.ID, p)
}

func (c *agentClient) wait(ctx context.Context, id uint64, p *pendingCall) (agent.Response, error) {
	select {
	case r := <-p.done:
		return r, nil
	case <-c.dead:
		return agent.Response{}, c.failure(nil)
	case <-ctx.Done():
	}
	c.write(false, &agent.Request{Op: agent.OpCancel, Target: id})
	select {
	case <-p.done:
	case <-c.dead:
	case <-time.After(cancelWait):
		c.forget(id)
	}
	return agent.Response{}, ctx.Err()
}

// failure is the error of a call on an agent whose stream ended (or failed to write).
func (c *agentClient) failure(err error) error {
	select {
	case <-c.dead:
		err = c.deadErr
	default:
	}
	return fmt.Errorf("agent on %s: %w", c.host, err)
}

// readLoop delivers answers until the stream ends; then every waiting call fails.
func (c *agentClient) readLoop() {
	for {
		r, err := readResponse(c.out)
		if err != nil {
			c.stop(err)
			return
		}
		c.deliver(r)
	}
}

func (c *agentClient) deliver(r agent.Response) {
	if r.PeakRSS > c.peak.Load() {
		c.peak.Store(r.PeakRSS)
	}
	if r.CPU > c.cpu.Load() {
		c.cpu.Store(r.CPU)
	}
	if r.ChildCPU > c.childCPU.Load() {
		c.childCPU.Store(r.ChildCPU)
	}
	c.mu.Lock()
	p := c.pending[r.ID]
	if p != nil && r.Out == nil {
		delete(c.pending, r.ID)
	}
	c.mu.Unlock()
	switch {
	case p == nil:
	case r.Out != nil && p.out != nil:
		p.out(*r.Out)
	case r.Out == nil:
		p.done <- r
	}
}

func (c *agentClient) stop(err error) {
	if errors.Is(err, io.EOF) {
		err = errors.New("the agent stopped")
		if s := c.stderr.String(); s != "" {
			err = fmt.Errorf("the agent stopped: %s", firstLine([]byte(s)))
		}
	}
	c.deadErr = err
	close(c.dead)
}

// close ends the session: the agent sees its stdin end and exits.
func (c *agentClient) close() {
	c.stdin.Close()
	c.sess.Close()
}

// readResponse reads one line of at most agent.MaxLine bytes.
func readResponse(r *bufio.Reader) (agent.Response, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > agent.MaxLine {
			return agent.Response{}, fmt.Errorf("answer longer than %d bytes", agent.MaxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return agent.Response{}, err
		}
		break
	}
	var resp agent.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return agent.Response{}, fmt.Errorf("bad answer from the agent: %w", err)
	}
	return resp, nil
}

// tailBuffer keeps the last bytes of the agent's stderr for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	buf   []byte
	wrote chan struct{} // gets a token after each write, if one is not pending
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf); n > 4096 {
		t.buf = t.buf[n-4096:]
	}
	select {
	case t.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// ReadFrom makes io.Copy (which x/crypto/ssh runs for the session's stderr) use a small
// buffer: its default is 32 KiB per session, 32 MB for 1000 hosts, for a stream that is
// normally empty.
func (t *tailBuffer) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 512)
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			t.Write(buf[:m])
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
