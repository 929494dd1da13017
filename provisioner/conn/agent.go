package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

// The berth agent is a mode of the SSH connection, not another transport: the same
// connection, host key checks, keepalives and Close, but Observe, WriteFile and Run go as
// requests on one long-lived `berth agent` session (package agent, docs/agent.md) instead
// of one shell session each. UseAgent turns it on; the agent starts on first use, and
// whenever it cannot run, the connection keeps working with plain SSH commands.
//
// These methods shadow the runner's, so every caller of *SSH gets the agent without
// change; with no agent (or after a fallback) they are the runner's.

// maxInlineStdin is the most stdin a Run sends inside the protocol; a bigger input (an
// image for docker load) goes over a plain SSH session, where it streams.
const maxInlineStdin = 1 << 20

// AgentOptions says how to find the agent's binary and where its warnings go.
type AgentOptions struct {
	// Binary returns a linux berth binary for GOARCH goarch, or "" (see AgentBinary).
	Binary func(goarch string) string
	// Warn receives, once, "agent unavailable on HOST: WHY; using plain SSH".
	Warn func(msg string)
}

// AgentStatus says whether a connection serves through the agent, for --stats.
type AgentStatus struct {
	Active    bool   // the agent is running and serving requests
	Exe       string // the agent's binary on the host
	Installed bool   // this connection uploaded the binary
	PeakRSS   int64  // the agent's peak resident set, bytes, as of its last answer
	// CPU and CommandCPU are the host's CPU time for the session as of the agent's last
	// answer: the agent's own (start script included) and its commands'.
	CPU, CommandCPU time.Duration
	Reason          string // why the agent is not used, when it was wanted
}

// agentShell holds a connection's agent; it sits in the runner's shell slot so that
// plain commands still go to the SSH sessions it wraps.
type agentShell struct {
	shell
	s    *SSH
	opts AgentOptions

	mu        sync.Mutex
	client    *agentClient
	failed    string // why the agent is not used; "" while it may be
	served    bool   // the agent served the connection until it was closed (release)
	exe       string
	uid       int
	installed string
	peak      atomic.Int64
	cpu       atomic.Int64
	childCPU  atomic.Int64
}

// UseAgent makes the connection serve through the berth agent from its next call on.
func (s *SSH) UseAgent(o AgentOptions) {
	if _, ok := s.runner.sh.(*agentShell); ok {
		return
	}
	if o.Binary == nil {
		o.Binary = AgentBinary
	}
	s.runner.sh = &agentShell{shell: s.runner.sh, s: s, opts: o}
}

// AgentStatus reports the agent of this connection.
func (s *SSH) AgentStatus() AgentStatus {
	a, ok := s.runner.sh.(*agentShell)
	if !ok {
		return AgentStatus{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return AgentStatus{Active: a.client != nil || a.served, Exe: a.exe, Installed: a.installed != "", PeakRSS: a.peak.Load(), Reason: a.failed,
		CPU: time.Duration(a.cpu.Load()) * time.Microsecond, CommandCPU: time.Duration(a.childCPU.Load()) * time.Microsecond}
}

// do sends req through the agent, starting it if needed. ok=false means the agent is not
// available and the caller must use plain SSH.
func (s *SSH) agentDo(ctx context.Context, req *agent.Request, out func(agent.Output)) (agent.Response, bool, error) {
	a, isAgent := s.runner.sh.(*agentShell)
	if !isAgent {
		return agent.Response{}, false, nil
	}
	a.mu.Lock()
	if a.failed != "" {
		a.mu.Unlock()
		return agent.Response{}, false, nil
	}
	if c := a.client; c != nil {
		a.mu.Unlock()
		r, err := c.call(ctx, req, out)
		return r, true, err
	}
	defer a.mu.Unlock()
	c, p, err := a.start(ctx, req, out)
	var no *errNoAgent
	if errors.As(err, &no) {
		a.fallback(no.why)
		return agent.Response{}, false, nil
	}
	if err != nil {
		return agent.Response{}, true, err
	}
	a.client = c
	go a.watch(c)
	r, err := c.wait(ctx, req.ID, p)
	return r, true, err
}

// fallback records why the agent is not used and warns once. Called with a.mu held.
func (a *agentShell) fallback(why string) {
	a.failed = why
	if a.opts.Warn != nil {
		a.opts.Warn(fmt.Sprintf("agent unavailable on %s: %s; using plain SSH", a.s.name, why))
	}
}

// release lets go of the agent's session when the connection is closed; AgentStatus still
// says it served.
func (a *agentShell) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != nil {
		a.client, a.served = nil, true
	}
}

// watch switches the connection to plain SSH when its agent stops while the connection
// lives on (the calls in flight fail; later ones work).
func (a *agentShell) watch(c *agentClient) {
	<-c.dead
	select {
	case <-a.s.done:
		return
	default:
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client == c {
		a.client = nil
		a.fallback(c.deadErr.Error())
	}
}

// Observe implements modules.Host: one agent request, or one shell script.
func (s *SSH) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	if err := checkProbes(s.name, probes); err != nil {
		return nil, err
	}
	r, ok, err := s.agentDo(ctx, &agent.Request{Op: agent.OpObserve, Probes: agent.ProbesFrom(probes)}, nil)
	if !ok {
		return s.runner.Observe(ctx, probes)
	}
	if err == nil && r.Error != "" {
		err = errors.New(r.Error)
	}
	if err == nil && len(r.Results) != len(probes) {
		err = fmt.Errorf("agent answered %d results for %d probes", len(r.Results), len(probes))
	}
	if err != nil {
		return nil, fmt.Errorf("observe on %s: %w", s.name, err)
	}
	out := make([]modules.ProbeResult, len(probes))
	for i, pr := range r.Results {
		out[i] = pr.Module()
	}
	return out, nil
}

func checkProbes(host string, probes []modules.Probe) error {
	for i, p := range probes {
		if (p.Path == "") == (len(p.Argv) == 0) {
			return fmt.Errorf("observe on %s: probe %d needs exactly one of Path and Argv", host, i)
		}
	}
	return nil
}

// WriteFile implements modules.Host with the same guarantees through either path.
func (s *SSH) WriteFile(ctx context.Context, w modules.FileWrite) error {
	_, err := s.WriteFiles(ctx, []modules.FileWrite{w})
	return err
}

// maxWritesBytes bounds the content of one writes request (base64 in one JSON line, under
// agent.MaxLine); a bigger batch goes as several requests.
const maxWritesBytes = 32 << 20

// WriteFiles implements modules.BatchWriter: one agent request per maxWritesBytes of
// content (written in order on the host, stopping at the first failure), or the runner's
// batched script over plain SSH.
func (s *SSH) WriteFiles(ctx context.Context, ws []modules.FileWrite) (int, error) {
	return writeInBatches(s.name, ws, requestFiles, func(batch []modules.FileWrite) (int, error) { return s.writeBatch(ctx, batch) })
}

// requestFiles is how many of ws fit in one writes request: at least one, then as many as
// keep the content within maxWritesBytes.
func requestFiles(ws []modules.FileWrite) int {
	n, size := 1, len(ws[0].Content)
	for n < len(ws) && size+len(ws[n].Content) <= maxWritesBytes {
		size += len(ws[n].Content)
		n++
	}
	return n
}

func (s *SSH) writeBatch(ctx context.Context, ws []modules.FileWrite) (int, error) {
	wire := make([]*agent.Write, len(ws))
	for i, w := range ws {
		wire[i] = &agent.Write{Path: w.Path, Content: w.Content, SHA256: contentSum(w),
			Mode: uint32(w.Mode.Perm()), Owner: w.Owner, Group: w.Group, MkdirParents: w.MkdirParents}
	}
	r, ok, err := s.agentDo(ctx, &agent.Request{Op: agent.OpWrites, Writes: wire}, nil)
	if !ok {
		return s.runner.WriteFiles(ctx, ws)
	}
	done := min(max(r.Done, 0), len(ws))
	at := ws[min(done, len(ws)-1)].Path // the file the batch stopped at
	switch {
	case err == nil && r.Error != "":
		err = errors.New(strings.TrimPrefix(r.Error, "write "+at+": "))
	case err == nil && done < len(ws):
		err = fmt.Errorf("agent wrote %d of %d files and gave no error", done, len(ws))
	}
	if err != nil {
		return done, fmt.Errorf("write %s on %s: %w", at, s.name, err)
	}
	return done, nil
}

// Run implements modules.Host. Commands that opt out of become while the agent runs as
// root, and commands with a big stdin, use a plain SSH session.
func (s *SSH) Run(ctx context.Context, cmd modules.Command) (modules.Result, error) {
	if len(cmd.Argv) == 0 {
		return modules.Result{}, fmt.Errorf("run on %s: empty command", s.name)
	}
	stdin, small, err := inlineStdin(cmd.Stdin)
	if err != nil {
		return modules.Result{}, fmt.Errorf("run %s on %s: read stdin: %w", cmd.Argv[0], s.name, err)
	}
	if (cmd.NoBecome && s.become) || !small {
		cmd.Stdin = stdin
		return s.runner.Run(ctx, cmd)
	}
	return s.agentRun(ctx, cmd, stdin)
}

// inlineStdin reads up to maxInlineStdin bytes. small=false means there is more; the
// returned reader then yields all of stdin.
func inlineStdin(r io.Reader) (io.Reader, bool, error) {
	if r == nil {
		return nil, true, nil
	}
	head, err := io.ReadAll(io.LimitReader(r, maxInlineStdin+1))
	if err != nil {
		return nil, false, err
	}
	if len(head) > maxInlineStdin {
		return io.MultiReader(bytes.NewReader(head), r), false, nil
	}
	return bytes.NewReader(head), true, nil
}
