package provisioner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
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
	Hint   string `json:"hint,omitempty"` // what to do about Error, when berth knows
}

// Summary is the outcome of an apply.
type Summary struct {
	Hosts []HostResult `json:"hosts"`
	// Rollouts say, per stack updated by a rolling update, which replicas run which version.
	Rollouts []RolloutResult `json:"rollouts,omitempty"`
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
	results := make(map[string]*HostResult, len(names))
	for _, n := range names {
		hp := s.hosts[n].plan
		results[n] = &HostResult{Host: n, Planned: len(hp.Changes), Outcome: OutcomeUnchanged}
	}
	var mu sync.Mutex
	var rollouts []RolloutResult
	for phase := modules.PhaseDeploy; phase <= modules.PhaseTeardown; phase++ {
		hold := holds(results, s)
		e.each(ctx, names, func(ctx context.Context, name string) {
			mu.Lock()
			r := results[name]
			mu.Unlock()
			if r.Outcome == OutcomeFailed || r.Outcome == OutcomeSkipped {
				return // a host that failed an earlier phase sits out the later ones
			}
			e.applyPhase(ctx, s.hosts[name], phase, r, hold)
		})
		if phase == modules.PhaseDeploy {
			// Rolling updates run across hosts, batch after batch, once every host's own
			// deploy-phase changes (host layer, image transfers, new replicas) are done.
			rollouts = e.runRollouts(ctx, s, results)
		}
	}
	markRollouts(results, rollouts)
	sum := Summary{Rollouts: rollouts}
	for _, n := range names {
		r := results[n]
		if r.Outcome == OutcomeUnchanged && r.Planned > 0 && r.Applied == 0 && r.Error == "" {
			r.Outcome, r.Error = OutcomeSkipped, "run cancelled before this host started"
		}
		if r.Outcome != OutcomeFailed && r.Outcome != OutcomeSkipped {
			e.Events.emit(Event{Type: EventHostDone, Host: n, Message: fmt.Sprintf("%d changes applied", r.Applied)})
		}
		sum.Hosts = append(sum.Hosts, *r)
	}
	e.Events.emit(Event{Type: EventApplyFinished, Message: fmt.Sprintf("%d hosts, %d failed", len(names), sum.Failed())})
	return sum
}

// holds says which later-phase changes must not run because a deploy failed earlier in this
// apply: the old replica of a stack whose new replica failed keeps running (its removal is
// held), balancers keep their previous configuration while any stack deploy failed, so
// traffic never moves to a replica that did not come up, and no replica stops while a
// balancer failed to take the configuration that no longer sends to it. A deploy failed
// when the replica's host failed before all of the stack's deploy-phase changes there ran
// (the change itself failed, an earlier one did, or the host of a new or moved replica
// could not be planned). It returns why a step is held, or "".
func holds(results map[string]*HostResult, s *Session) func(st Step, phase int) string {
	failed := map[string]string{} // stack name -> host where its deploy failed
	lbFailed := ""                // a host whose balancer configuration did not change
	for host, r := range results {
		if r.Outcome != OutcomeFailed {
			continue
		}
		for _, st := range s.hosts[host].steps {
			switch ph := phaseOf(st.Resource); {
			case st.applied:
			case ph == modules.PhaseBalance:
				lbFailed = host
			case (ph == modules.PhaseDeploy || ph == modules.PhaseSwarmDeploy) && stackOf(st.Resource) != "":
				failed[stackOf(st.Resource)] = host
			}
		}
	}
	if a := s.Plan.Placement; a != nil { // hosts that could not be planned have no steps
		for _, sp := range a.Stacks {
			for _, rep := range sp.Replicas {
				arrives := rep.Status == schedule.New || rep.Status == schedule.Moved
				if r := results[rep.Host]; arrives && r != nil && r.Outcome == OutcomeFailed && !s.carriedOut(sp.Name, rep.Host, modules.PhaseDeploy) {
					failed[sp.Name] = rep.Host
				}
			}
		}
	}
	return func(st Step, phase int) string {
		if phase == modules.PhaseTeardown && lbFailed != "" {
			return fmt.Sprintf("held: the balancer on %s did not take its new configuration and may still send to this replica, so it keeps running", lbFailed)
		}
		if phase == modules.PhaseDeploy || len(failed) == 0 {
			return ""
		}
		if h, ok := failed[stackOf(st.Resource)]; ok {
			return fmt.Sprintf("held: the new replica of stack.%s failed on %s, so this one keeps running", stackOf(st.Resource), h)
		}
		if phase == modules.PhaseBalance {
			a := slices.Min(slices.Collect(maps.Keys(failed)))
			return fmt.Sprintf("held: stack.%s failed on %s, so the balancer keeps its previous configuration", a, failed[a])
		}
		return ""
	}
}

// stackOf names the stack a resource belongs to (modules.StackMember), "" for none.
func stackOf(r modules.Resource) string {
	if m, ok := r.(modules.StackMember); ok {
		return m.Stack()
	}
	return ""
}

// phaseOf is the phase a change runs in (see modules.Phased).
func phaseOf(r modules.Resource) int {
	if p, ok := r.(modules.Phased); ok {
		return p.Phase()
	}
	return modules.PhaseDeploy
}

// failAt records that st failed with msg, and reports it.
func (e *Engine) failAt(r *HostResult, st Step, msg string) {
	r.Outcome, r.Failed, r.Error = OutcomeFailed, st.Change.Address, msg
	e.Events.emit(Event{Type: EventHostFailed, Host: r.Host, Address: st.Change.Address, Error: msg})
}

// applyPhase applies a host's changes of one phase, in plan order, holding the host's lock
// for the duration. A failed change stops the host: later changes depend on earlier ones.
func (e *Engine) applyPhase(ctx context.Context, hs *hostSession, phase int, r *HostResult, hold func(Step, int) string) {
	p := hs.plan
	var todo []*Step
	for i := range hs.steps {
		if st := &hs.steps[i]; phaseOf(st.Resource) == phase && !st.rollout {
			todo = append(todo, st)
		}
	}
	switch {
	case p.Error != "":
		if phase == modules.PhaseDeploy {
			r.Outcome, r.Error, r.Hint = OutcomeFailed, p.Error, p.Hint
		}
		return
	case len(todo) == 0:
		return
	case ctx.Err() != nil || (e.Stopping != nil && e.Stopping()):
		r.Outcome, r.Error = OutcomeSkipped, "run stopped before this host's changes started"
		e.Events.emit(Event{Type: EventHostSkipped, Host: p.Host, Error: r.Error})
		return
	}
	if e.HostLock != nil {
		release, err := e.HostLock(ctx, hs.conn)
		if err != nil {
			r.Outcome, r.Error = OutcomeFailed, err.Error()
			var h interface{ Hint() string }
			if errors.As(err, &h) {
				r.Hint = h.Hint() // the busy error's unlock command
			}
			e.Events.emit(Event{Type: EventHostFailed, Host: p.Host, Error: r.Error})
			return
		}
		defer release()
	}
	for i := 0; i < len(todo); {
		st := todo[i]
		if why := hold(*st, phase); why != "" {
			e.failAt(r, *st, why)
			return
		}
		if run := writeRun(todo[i:], hold, phase); len(run) > 1 {
			if bw, ok := hs.conn.(modules.BatchWriter); ok {
				ends := make([]func(error), len(run))
				for k, w := range run {
					ends[k] = e.journalStart(hs, *w)
				}
				done, err := e.applyWrites(ctx, bw, run)
				for k, end := range ends {
					switch {
					case k < done:
						end(nil)
					case k == done:
						end(err)
					default:
						end(errors.New("not written"))
					}
				}
				for _, w := range run[:done] {
					w.applied = true
				}
				r.Applied += done
				if done > 0 {
					r.Outcome = OutcomeChanged
				}
				if err != nil {
					e.failAt(r, *run[min(done, len(run)-1)], err.Error())
					return
				}
				i += len(run)
				continue
			}
		}
		if err := e.applyChange(ctx, hs, *st); err != nil {
			e.failAt(r, *st, err.Error())
			return
		}
		st.applied = true
		r.Applied++
		r.Outcome = OutcomeChanged
		i++
	}
}

// writeRun is the longest prefix of steps that are each one file write (modules.Writer)
// and not held: they can go to the host as one batch.
func writeRun(steps []*Step, hold func(Step, int) string, phase int) []*Step {
	n := 0
	for _, st := range steps {
		if _, ok := st.Resource.(modules.Writer); !ok || hold(*st, phase) != "" {
			break
		}
		n++
	}
	return steps[:n]
}

// applyWrites applies a run of file-write changes as one batch: one request through the
// agent, one script over plain SSH. Every change of the run gets its start event (they are
// all in flight), then a finish event each: done for those written, failed for the first
// that was not, and failed "not written" for the rest, which the batch never reached. It
// returns how many were written and, when not all were, why the first of the rest was not.
func (e *Engine) applyWrites(ctx context.Context, bw modules.BatchWriter, run []*Step) (int, error) {
	switch {
	case e.Stopping != nil && e.Stopping():
		return 0, errors.New("stopped by request before this change")
	case ctx.Err() != nil:
		return 0, fmt.Errorf("stopped: %w", ctx.Err())
	}
	ws := make([]modules.FileWrite, 0, len(run))
	var werr error // the first write that cannot be made: the batch stops before it
	for _, st := range run {
		c := st.Change
		e.Events.emit(Event{Type: EventChangeStart, Host: c.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op})
		if werr != nil {
			continue
		}
		w, err := st.Resource.(modules.Writer).FileWrite(c)
		if err != nil {
			werr = err
			continue
		}
		ws = append(ws, w)
	}
	start := time.Now()
	done, err := 0, werr
	if len(ws) > 0 {
		if done, err = bw.WriteFiles(ctx, ws); err == nil && done == len(ws) {
			err = werr
		}
	}
	done = min(max(done, 0), len(run))
	switch {
	case err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		err = fmt.Errorf("interrupted: %w", err)
	case err == nil && done < len(run):
		err = fmt.Errorf("the host wrote %d of %d files and gave no error", done, len(run))
	}
	for i, st := range run {
		c := st.Change
		ev := Event{Type: EventChangeDone, Host: c.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op, Seconds: since(start)}
		switch {
		case i == done:
			ev.Type, ev.Error = EventChangeFailed, err.Error()
		case i > done:
			ev.Type, ev.Error = EventChangeFailed, fmt.Sprintf("not written: %s failed first", run[done].Change.Address)
		}
		e.Events.emit(ev)
	}
	return done, err
}

// applyChange hands one change back to the resource that emitted it.
func (e *Engine) applyChange(ctx context.Context, hs *hostSession, st Step) error {
	switch {
	case e.Stopping != nil && e.Stopping():
		return errors.New("stopped by request before this change")
	case ctx.Err() != nil:
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
	return e.runStep(ctx, hs, st)
}

// runStep hands one change back to the resource that emitted it, with its events.
func (e *Engine) runStep(ctx context.Context, hs *hostSession, st Step) error {
	c := st.Change
	start := time.Now()
	e.Events.emit(Event{Type: EventChangeStart, Host: c.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op})
	end := e.journalStart(hs, st)
	err := st.Resource.Apply(ctx, hs.conn, c)
	end(err)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("interrupted: %w", err)
		}
		e.Events.emit(Event{Type: EventChangeFailed, Host: c.Host, Address: c.Address, Op: c.Op, Error: err.Error(), Seconds: since(start)})
		return err
	}
	e.Events.emit(Event{Type: EventChangeDone, Host: c.Host, Address: c.Address, Action: c.Action.String(), Op: c.Op, Seconds: since(start)})
	return nil
}
