package provisioner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/berth-dev/berth/modules"
)

// Host outcomes after apply.
const (
	OutcomeUnchanged = "unchanged"
	OutcomeChanged   = "changed"
	OutcomeFailed    = "failed"
	OutcomeSkipped   = "skipped" // not reached, or not started because the run was cancelled
)

// HostResult is how one host ended.
type HostResult struct {
	Host    string `json:"host"`
	Outcome string `json:"outcome"`
	Applied int    `json:"applied"`
	Planned int    `json:"planned"`
	// Failed is the address of the change that failed, and Error why.
	Failed string `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Summary is the outcome of an apply.
type Summary struct {
	Hosts []HostResult `json:"hosts"`
}

// Failed counts hosts that did not end as planned.
func (s Summary) Failed() int {
	n := 0
	for _, h := range s.Hosts {
		if h.Outcome == OutcomeFailed || h.Outcome == OutcomeSkipped {
			n++
		}
	}
	return n
}

// Apply executes the session's plan: each host's changes in order, hosts in parallel. A
// failed change stops its host (later changes depend on earlier ones) but not the others.
// Apply decides nothing: it runs the changes the plan holds, through the resources that
// produced them.
func (e *Engine) Apply(ctx context.Context, s *Session) Summary {
	var names []string
	for n := range s.hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	results := make(map[string]HostResult, len(names))
	var mu sync.Mutex
	e.each(ctx, names, func(ctx context.Context, name string) {
		r := e.applyHost(ctx, s.hosts[name])
		mu.Lock()
		results[name] = r
		mu.Unlock()
	})
	var sum Summary
	for _, n := range names {
		r, ok := results[n]
		if !ok {
			r = HostResult{Host: n, Outcome: OutcomeSkipped, Planned: len(s.hosts[n].plan.Changes), Error: "run cancelled before this host started"}
		}
		sum.Hosts = append(sum.Hosts, r)
	}
	e.Events.emit(Event{Type: EventApplyFinished, Message: fmt.Sprintf("%d hosts, %d failed", len(names), sum.Failed())})
	return sum
}

func (e *Engine) applyHost(ctx context.Context, hs *hostSession) HostResult {
	p := hs.plan
	r := HostResult{Host: p.Host, Planned: len(p.Changes), Outcome: OutcomeUnchanged}
	switch {
	case p.Error != "":
		r.Outcome, r.Error = OutcomeFailed, p.Error
		return r
	case len(p.Changes) == 0:
		e.Events.emit(Event{Type: EventHostDone, Host: p.Host, Message: "no changes"})
		return r
	case ctx.Err() != nil:
		r.Outcome, r.Error = OutcomeSkipped, "run cancelled before this host started"
		e.Events.emit(Event{Type: EventHostSkipped, Host: p.Host, Error: r.Error})
		return r
	}
	if e.Lock != nil {
		release, err := e.Lock(ctx, hs.conn)
		if err != nil {
			r.Outcome, r.Error = OutcomeFailed, err.Error()
			e.Events.emit(Event{Type: EventHostFailed, Host: p.Host, Error: r.Error})
			return r
		}
		defer release()
	}
	byAddr := map[string]modules.Resource{}
	for _, res := range hs.resources {
		byAddr[res.Address()] = res
	}
	for _, c := range p.Changes {
		if e.Stopping != nil && e.Stopping() {
			r.Outcome, r.Failed, r.Error = OutcomeFailed, c.Address, "stopped by request before this change"
			e.Events.emit(Event{Type: EventHostFailed, Host: p.Host, Address: c.Address, Error: r.Error})
			return r
		}
		if err := ctx.Err(); err != nil {
			r.Outcome, r.Failed, r.Error = OutcomeFailed, c.Address, "stopped: "+err.Error()
			e.Events.emit(Event{Type: EventHostFailed, Host: p.Host, Address: c.Address, Error: r.Error})
			return r
		}
		res := byAddr[c.Address]
		if res == nil {
			r.Outcome, r.Failed, r.Error = OutcomeFailed, c.Address, "no resource produced this change"
			return r
		}
		start := time.Now()
		e.Events.emit(Event{Type: EventChangeStart, Host: p.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op})
		if err := res.Apply(ctx, hs.conn, c); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("interrupted: %w", err)
			}
			r.Outcome, r.Failed, r.Error = OutcomeFailed, c.Address, err.Error()
			e.Events.emit(Event{Type: EventChangeFailed, Host: p.Host, Address: c.Address, Op: c.Op, Error: err.Error(), Seconds: since(start)})
			e.Events.emit(Event{Type: EventHostFailed, Host: p.Host, Address: c.Address, Error: err.Error()})
			return r
		}
		r.Applied++
		r.Outcome = OutcomeChanged
		e.Events.emit(Event{Type: EventChangeDone, Host: p.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op, Seconds: since(start)})
	}
	e.Events.emit(Event{Type: EventHostDone, Host: p.Host, Message: fmt.Sprintf("%d changes applied", r.Applied)})
	return r
}
