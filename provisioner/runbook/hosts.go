package runbook

import (
	"context"
	"fmt"
	"sync"

	"github.com/berth-dev/berth/modules"
)

// Hosts hands out connected hosts by inventory name.
type Hosts interface {
	Host(ctx context.Context, name string) (modules.Host, error)
	// Forget drops a host's connection after a transport error, so the next Host redials
	// (a wait step outlives a host's reboot or network cut).
	Forget(name string)
}

// Conn is a connection that can be closed.
type Conn interface {
	modules.Host
	Close() error
}

// Pool dials hosts on first use and keeps the connections for the run.
type Pool struct {
	Dial  func(ctx context.Context, name string) (Conn, error)
	mu    sync.Mutex
	conns map[string]Conn
}

var _ Hosts = (*Pool)(nil)

// Host implements Hosts.
func (p *Pool) Host(ctx context.Context, name string) (modules.Host, error) {
	p.mu.Lock()
	c := p.conns[name]
	p.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := p.Dial(ctx, name)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[string]Conn{}
	}
	if old := p.conns[name]; old != nil {
		c.Close()
		return old, nil
	}
	p.conns[name] = c
	return c, nil
}

// Forget implements Hosts. A forgotten connection is one that failed or whose step gave up
// on it: it is aborted where the transport can (conn.SSH.Abort), so that a request still
// queued for a host that is unreachable now is not delivered, and run, when it comes back.
func (p *Pool) Forget(name string) {
	p.mu.Lock()
	c := p.conns[name]
	delete(p.conns, name)
	p.mu.Unlock()
	if a, ok := c.(interface{ Abort() error }); ok {
		a.Abort()
	} else if c != nil {
		c.Close()
	}
}

// Close closes every connection.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n, c := range p.conns {
		c.Close()
		delete(p.conns, n)
	}
}

// run runs cmd on the named host; a transport error forgets the connection. The step's
// deadline holds even when the transport does not watch ctx at every point (a session
// opening on a host that dropped off the network): the connection is then closed under it.
func run(ctx context.Context, hs Hosts, name string, cmd modules.Command) (modules.Result, error) {
	h, err := hs.Host(ctx, name)
	if err != nil {
		return modules.Result{}, err
	}
	type outcome struct {
		res modules.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := h.Run(ctx, cmd)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			hs.Forget(name)
		}
		return o.res, o.err
	case <-ctx.Done():
		hs.Forget(name)
		return modules.Result{}, fmt.Errorf("%s on %s: %w", cmd.Argv[0], name, ctx.Err())
	}
}
