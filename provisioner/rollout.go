package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// enableTimeout bounds the wait for HAProxy's health checks to see a replica up again once
// it is back in rotation (checks every 2 s, 2 in a row to rise).
const enableTimeout = time.Minute

// RolloutResult says which replicas of a stack run which version after an apply.
type RolloutResult struct {
	Stack    string                `json:"stack"`
	Strategy schedule.Strategy     `json:"strategy"`
	Updated  []schedule.ReplicaRef `json:"updated"`
	// Previous replicas still run the version they had: the rollout stopped before them.
	Previous []schedule.ReplicaRef `json:"previous,omitempty"`
	// Returned are the replicas of the failed batch whose deploy had succeeded and that
	// were returned to the version they had (they are also in Previous).
	Returned []schedule.ReplicaRef `json:"returned,omitempty"`
	// Failed is the replica whose batch failed (and was rolled back), Error why.
	Failed *schedule.ReplicaRef `json:"failed,omitempty"`
	Error  string               `json:"error,omitempty"`
}

// planRollouts decides, for every stack whose running replicas are recreated, how: it adds
// the rollouts to the plan and marks the steps a rolling or start-first update runs (see
// runRollouts). Start-first rollouts change the placement (the new version's ports), so
// the hosts they concern are observed again with it (see startBeside).
func (e *Engine) planRollouts(ctx context.Context, s *Session) {
	var beside []schedule.Rollout
	for _, st := range e.Inventory.Stacks {
		req := rolloutRequest(e.Inventory, st)
		req.Returnable = true
		for _, step := range s.recreations(st.Name) {
			req.Recreate = append(req.Recreate, step.ref)
			if _, ok := step.step.Resource.(returner); !ok {
				req.Returnable = false
			}
			if _, ok := step.step.Resource.(besideDeployer); !ok && req.Beside == "" {
				req.Beside = "a rollback brings the previous version back in place"
			}
		}
		if len(req.Recreate) == 0 {
			continue
		}
		if s.Plan.Placement != nil {
			if sp := s.Plan.Placement.Stack(st.Name); sp != nil {
				req.Placed = sp.Replicas
			}
		}
		ro := schedule.PlanRollout(req)
		s.Plan.Rollouts = append(s.Plan.Rollouts, ro)
		if ro.Strategy == schedule.StartFirst && len(ro.Batches) > 0 {
			beside = append(beside, ro)
		}
	}
	if len(beside) > 0 {
		e.startBeside(ctx, s, beside)
	}
	for _, ro := range s.Plan.Rollouts {
		if (ro.Strategy == schedule.Rolling || ro.Strategy == schedule.StartFirst) && len(ro.Batches) > 0 {
			for _, step := range s.recreations(ro.Stack) {
				step.step.rollout = true
			}
		}
	}
}

type recreation struct {
	ref  schedule.ReplicaRef
	step *Step
}

// recreations are the deploy steps that recreate running replicas of a stack: what takes
// a replica out of service for a while. A first deploy on a host serves nobody yet.
func (s *Session) recreations(name string) []recreation {
	var out []recreation
	for _, host := range s.hostNames() {
		hs := s.hosts[host]
		for i := range hs.steps {
			st := &hs.steps[i]
			if stackOf(st.Resource) != name || phaseOf(st.Resource) != modules.PhaseDeploy ||
				st.Change.Op != stack.OpDeploy || st.Change.Action == modules.Create {
				continue
			}
			out = append(out, recreation{ref: schedule.ReplicaRef{Index: s.replicaIndex(name, host), Host: host}, step: st})
		}
	}
	return out
}

func (s *Session) hostNames() []string {
	var names []string
	for n := range s.hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Session) replicaIndex(name, host string) int {
	if s.Plan.Placement != nil {
		if sp := s.Plan.Placement.Stack(name); sp != nil {
			for _, r := range sp.Replicas {
				if r.Host == host {
					return r.Index
				}
			}
		}
	}
	return 0
}

// balancersOf names the balancers with a frontend routing to the stack.
func balancersOf(inv *inventory.Inventory, name string) []string {
	var out []string
	for _, b := range inv.Balancers {
		if slices.ContainsFunc(b.Frontends, func(f inventory.Frontend) bool { return f.Stack == name }) {
			out = append(out, b.Name)
		}
	}
	return out
}

// drainTarget is one HAProxy server of a replica: on which balancer host, in which backend,
// for which of the stack's ports.
type drainTarget struct {
	host            string
	backend, server string
	port            string
}

// targets lists the HAProxy servers of a stack's replica on every balancer routing to it.
func targets(inv *inventory.Inventory, name string, index int) []drainTarget {
	var out []drainTarget
	for _, b := range inv.Balancers {
		for _, f := range b.Frontends {
			if f.Stack != name {
				continue
			}
			for _, h := range b.Hosts {
				t := drainTarget{host: h, backend: balancer.BackendName(name, f.Port), server: balancer.ServerName(name, index), port: f.Port}
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].host+"/"+out[i].backend < out[j].host+"/"+out[j].backend
	})
	return out
}

// runRollouts runs the rolling updates of the plan, stack after stack, batch after batch
// (see runRollout). It returns what each left running.
func (e *Engine) runRollouts(ctx context.Context, s *Session, results map[string]*HostResult) []RolloutResult {
	var out []RolloutResult
	for _, ro := range s.Plan.Rollouts {
		switch {
		case len(ro.Batches) == 0:
		case ro.Strategy == schedule.Rolling:
			out = append(out, e.runRollout(ctx, s, ro, results))
		case ro.Strategy == schedule.StartFirst:
			out = append(out, e.runStartFirst(ctx, s, ro, results))
		}
	}
	return out
}

// returner is a deploy that can be undone after it succeeded: Return brings the replica
// back to the version the change replaced (see stack.Resource.Return).
type returner interface {
	Return(ctx context.Context, h modules.Host, c modules.Change) error
}

var (
	_ returner = (*stack.Resource)(nil)
	_ returner = (*stack.RevertResource)(nil)
)

// runRollout updates a stack's replicas batch by batch: each replica of a batch is drained
// from every balancer routing to it, recreated (its deploy rolls itself back when it does not
// turn healthy) and put back once HAProxy sees it up; the next batch starts only when the
// whole batch is back. The first failure stops the rollout: later batches keep the version
// they had and, when the plan says so (Rollout.ReturnBatch), the replicas of the failed batch
// that turned healthy are returned to the version they had (see returnReplica). Once a batch
// started it finishes, even when a Ctrl-C asked to stop: a replica is never left drained.
func (e *Engine) runRollout(ctx context.Context, s *Session, ro schedule.Rollout, results map[string]*HostResult) RolloutResult {
	res := RolloutResult{Stack: ro.Stack, Strategy: ro.Strategy}
	steps := map[string]*Step{}
	for _, rc := range s.recreations(ro.Stack) {
		steps[rc.ref.Host] = rc.step
	}
	stop := func(from int, why string) RolloutResult {
		for _, b := range ro.Batches[from:] {
			res.Previous = append(res.Previous, b...)
		}
		res.Error = why
		return res
	}
	live, err := e.liveTargets(ctx, s, ro)
	if err != nil {
		why := fmt.Sprintf("rollout of stack.%s did not start, no container was touched: %v", ro.Stack, err)
		for _, b := range ro.Batches {
			for _, ref := range b {
				e.failAt(results[ref.Host], *steps[ref.Host], why)
			}
		}
		return stop(0, why)
	}
	for i, batch := range ro.Batches {
		if e.Stopping != nil && e.Stopping() || ctx.Err() != nil {
			return stop(i, fmt.Sprintf("stopped by request before batch %d", i+1))
		}
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for j, ref := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = e.rollReplica(ctx, s, ro, ref, steps[ref.Host], results[ref.Host], live)
			}()
		}
		wg.Wait()
		failed := slices.IndexFunc(errs, func(err error) bool { return err != nil })
		if failed < 0 {
			res.Updated = append(res.Updated, batch...)
			continue
		}
		res.Failed = &batch[failed]
		why := fmt.Sprintf("batch %d failed on %s: %v", i+1, batch[failed].Host, errs[failed]) // the error says whether its rollback succeeded
		var kept []string
		for j, ref := range batch {
			switch {
			case errs[j] != nil:
				res.Previous = append(res.Previous, ref)
			case !ro.ReturnBatch:
				res.Updated = append(res.Updated, ref)
			default:
				if err := e.returnReplica(ctx, s, ro, ref, steps[ref.Host], results[ref.Host], live); err != nil {
					res.Updated = append(res.Updated, ref)
					kept = append(kept, fmt.Sprintf("returning replica %d on %s failed: %v", ref.Index, ref.Host, err))
					continue
				}
				res.Returned = append(res.Returned, ref)
				res.Previous = append(res.Previous, ref)
			}
		}
		if len(res.Returned) > 0 {
			why += fmt.Sprintf("; the batch's other replicas were returned to the version they had: %s", refList(res.Returned))
		}
		return stop(i+1, strings.Join(append([]string{why}, kept...), "\n"))
	}
	return res
}

func refList(rs []schedule.ReplicaRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("replica %d on %s", r.Index, r.Host))
	}
	return strings.Join(out, ", ")
}

// liveTargets asks every balancer host of the rollout for its servers: the admin socket must
// answer before any replica is touched. Servers HAProxy does not have yet (a frontend this
// apply adds) serve nobody and are not drained. A rollout that drains nothing asks nobody.
func (e *Engine) liveTargets(ctx context.Context, s *Session, ro schedule.Rollout) (map[drainTarget]bool, error) {
	if !ro.Drain {
		return map[drainTarget]bool{}, nil
	}
	return e.liveServers(ctx, s, ro, "its replicas cannot be drained")
}

// rollReplica drains one replica, runs its deploy and puts it back. Putting it back runs
// even when the deploy failed (its own rollback brought the previous version back) and even
// when the run is being interrupted, on a context of its own.
func (e *Engine) rollReplica(ctx context.Context, s *Session, ro schedule.Rollout, ref schedule.ReplicaRef, st *Step, r *HostResult, live map[drainTarget]bool) error {
	if r.Outcome == OutcomeFailed || r.Outcome == OutcomeSkipped {
		return fmt.Errorf("host %s did not finish its earlier changes: %s", ref.Host, r.Error)
	}
	hs := s.hosts[ref.Host]
	err := e.whileDrained(ctx, s, ro, ref, st, live, func(ctx context.Context) error {
		if e.HostLock != nil {
			release, err := e.HostLock(ctx, hs.conn)
			if err != nil {
				return err
			}
			defer release()
		}
		return e.runStep(ctx, hs, *st)
	})
	if err != nil {
		e.failAt(r, *st, err.Error())
		return err
	}
	st.applied = true
	r.Applied++
	r.Outcome = OutcomeChanged
	return nil
}

// returnReplica brings a replica whose deploy succeeded back to the version it had, drained
// like a deploy, on a context an interrupt does not cancel: a failed batch goes back as a
// whole even when a Ctrl-C made it fail.
func (e *Engine) returnReplica(ctx context.Context, s *Session, ro schedule.Rollout, ref schedule.ReplicaRef, st *Step, r *HostResult, live map[drainTarget]bool) error {
	rt, ok := st.Resource.(returner)
	if !ok {
		return fmt.Errorf("%s cannot be returned to the version it had", st.Change.Address)
	}
	hs := s.hosts[ref.Host]
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ro.Timeout+2*enableTimeout+returnTimeout)
	defer cancel()
	e.note(ref.Host, st, fmt.Sprintf("returning replica %d on %s to the version it had: its batch failed", ref.Index, ref.Host))
	err := e.whileDrained(ctx, s, ro, ref, st, live, func(ctx context.Context) error {
		if e.HostLock != nil {
			release, err := e.HostLock(ctx, hs.conn)
			if err != nil {
				return err
			}
			defer release()
		}
		ret := *st
		ret.Change.Op = "return"
		end := e.journalStart(hs, ret)
		err := rt.Return(ctx, hs.conn, st.Change)
		end(err)
		return err
	})
	if err != nil {
		e.failAt(r, *st, err.Error())
		return err
	}
	// The deploy no longer stands: the replica runs what it ran before this apply.
	st.applied = false
	e.note(ref.Host, st, fmt.Sprintf("replica %d on %s returned to the version it had", ref.Index, ref.Host))
	return nil
}

// returnTimeout bounds a replica's return beyond its drain and put-back: the stack's own
// undo has its bound (its health timeout and more), this one is a backstop.
const returnTimeout = 10 * time.Minute

// whileDrained runs do with the replica out of every live balancer server routing to it, and
// puts it back whatever happened: the replica then runs either the version do brought or,
// rolled back, the one it had. Putting it back runs on a context of its own, so that an
// interrupt never leaves a server drained.
func (e *Engine) whileDrained(ctx context.Context, s *Session, ro schedule.Rollout, ref schedule.ReplicaRef, st *Step, live map[drainTarget]bool, do func(context.Context) error) error {
	var drained []drainTarget
	err := func() error {
		for _, t := range targets(e.Inventory, ro.Stack, ref.Index) {
			if !live[t] {
				continue
			}
			e.note(ref.Host, st, fmt.Sprintf("draining %s/%s on %s", t.backend, t.server, t.host))
			took, timedOut, err := balancer.Drain(ctx, s.hosts[t.host].conn, t.backend, t.server, ro.Timeout)
			if err != nil {
				return fmt.Errorf("drain: %w", err)
			}
			drained = append(drained, t)
			msg := fmt.Sprintf("%s/%s on %s drained in %.1fs", t.backend, t.server, t.host, took.Seconds())
			if timedOut {
				msg = fmt.Sprintf("%s/%s on %s: drain timeout %s passed with requests in flight; taken out anyway", t.backend, t.server, t.host, ro.Timeout)
			}
			e.note(ref.Host, st, msg)
		}
		return do(ctx)
	}()
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enableTimeout+10*time.Second)
	defer cancel()
	for _, t := range drained {
		e.note(ref.Host, st, fmt.Sprintf("putting %s/%s on %s back", t.backend, t.server, t.host))
		if eerr := balancer.Enable(ectx, s.hosts[t.host].conn, t.backend, t.server, enableTimeout); eerr != nil {
			err = errors.Join(err, eerr)
		}
	}
	return err
}

// note reports a step of a rollout on the replica's host.
func (e *Engine) note(host string, st *Step, msg string) {
	e.Events.emit(Event{Type: EventRollout, Host: host, Address: st.Change.Address, Message: msg})
}

// markRollouts tells, on the hosts a stopped rollout did not reach, that their replica keeps
// the version it had.
func markRollouts(results map[string]*HostResult, rs []RolloutResult) {
	for _, ro := range rs {
		for _, ref := range ro.Previous {
			r := results[ref.Host]
			if r == nil || r.Outcome == OutcomeFailed || (ro.Failed != nil && *ro.Failed == ref) {
				continue
			}
			if slices.Contains(ro.Returned, ref) {
				r.Error = strings.TrimSpace(r.Error + fmt.Sprintf(" stack.%s replica %d returned to the version it had: its batch failed (%s)", ro.Stack, ref.Index, firstLine(ro.Error)))
				continue
			}
			if r.Applied == 0 {
				r.Outcome = OutcomeSkipped
			}
			r.Error = strings.TrimSpace(r.Error + fmt.Sprintf(" stack.%s replica %d not updated, it runs the version it had: the rollout stopped (%s)", ro.Stack, ref.Index, firstLine(ro.Error)))
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
