package provisioner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// switchGrace is how long a start-first deploy leaves the old version running once the
// balancers send new requests to the new one: requests in flight on the old port finish.
const switchGrace = 2 * time.Second

// besideBlock says why two versions of stack s cannot run side by side on one host, ""
// when they can: a fixed host port would be taken twice, a named volume belongs to one
// compose project (the new colour would start empty), a container_name would collide.
func besideBlock(s *inventory.Stack) string {
	for _, p := range s.Ports {
		if p.Host != 0 {
			return fmt.Sprintf("port %s has the fixed host port %d", p.Name, p.Host)
		}
	}
	if s.Project == nil {
		return ""
	}
	var vols []string
	for name, v := range s.Project.Volumes {
		if !v.External {
			vols = append(vols, name)
		}
	}
	sort.Strings(vols)
	if len(vols) > 0 {
		return fmt.Sprintf("named volume %s belongs to one compose project", vols[0])
	}
	var svcs []string
	for name, svc := range s.Project.Services {
		if svc.ContainerName != "" {
			svcs = append(svcs, name)
		}
	}
	sort.Strings(svcs)
	if len(svcs) > 0 {
		return fmt.Sprintf("service %s sets container_name", svcs[0])
	}
	return ""
}

// rolloutRequest is what the rollout of stack s is decided from, before the diff says which
// replicas are recreated.
func rolloutRequest(inv *inventory.Inventory, s *inventory.Stack) schedule.RolloutRequest {
	return schedule.RolloutRequest{Stack: s.Name, Replicas: s.Replicas, Balancers: balancersOf(inv, s.Name), Beside: besideBlock(s),
		Policy: schedule.UpdatePolicy{Strategy: schedule.Strategy(s.Update.Strategy), Parallel: s.Update.Parallel, DrainTimeout: s.Update.DrainTimeout}}
}

// keepsStandby reports whether stack s is updated start-first when it changes: its replicas
// then hold standby ports.
func keepsStandby(inv *inventory.Inventory, s *inventory.Stack) bool {
	st, _ := schedule.StrategyFor(rolloutRequest(inv, s))
	return st == schedule.StartFirst
}

// startBeside applies the start-first rollouts to the plan's placement (the replicas serve
// on their standby ports once switched) and observes again the hosts whose resources follow
// from it: the replicas' hosts, whose deploys become start-first, and the balancer hosts,
// whose configuration is rendered with the new ports so that a reload keeps the switch.
func (e *Engine) startBeside(ctx context.Context, s *Session, ros []schedule.Rollout) {
	placement := *s.Plan.Placement
	hosts := map[string]bool{}
	for _, ro := range ros {
		placement = placement.StartBeside(ro)
		for _, b := range ro.Batches {
			for _, ref := range b {
				hosts[ref.Host] = true
			}
		}
		for _, b := range e.Inventory.Balancers {
			for _, lb := range balancersOf(e.Inventory, ro.Stack) {
				if lb == b.Name {
					for _, h := range b.Hosts {
						hosts[h] = true
					}
				}
			}
		}
	}
	s.Plan.Placement = &placement
	var names []string
	for h := range hosts {
		if hs := s.hosts[h]; hs != nil && hs.facts != nil && hs.plan.Error == "" {
			names = append(names, h)
		}
	}
	sort.Strings(names)
	e.each(ctx, names, func(ctx context.Context, name string) {
		hs := s.hosts[name]
		hs.plan.Resources = nil
		if err := e.observe(ctx, hs, placement); err != nil {
			e.fail(hs, err)
		}
	})
}

// besideDeployer is a deploy that starts beside the running version: once the balancers
// switched, Commit retires the old version; if they could not, Abandon removes the new one.
type besideDeployer interface {
	Commit(ctx context.Context, h modules.Host, c modules.Change) error
	Abandon(ctx context.Context, h modules.Host, c modules.Change, cause error) error
}

var _ besideDeployer = (*stack.Resource)(nil)

// runStartFirst updates a stack's replicas one after the other, each beside its running
// version: start the new version on the standby ports and wait until it is healthy (a new
// version that does not turn healthy is removed there, the old one never stopped serving),
// point every balancer's server at the new port through the runtime API and wait until
// HAProxy sees it up, give requests in flight on the old port switchGrace, then retire the
// old version. The first failure stops the rollout.
func (e *Engine) runStartFirst(ctx context.Context, s *Session, ro schedule.Rollout, results map[string]*HostResult) RolloutResult {
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
	live, err := e.liveServers(ctx, s, ro, "it cannot be switched")
	if err != nil {
		why := fmt.Sprintf("start-first update of stack.%s did not start, no container was touched: %v", ro.Stack, err)
		for _, b := range ro.Batches {
			for _, ref := range b {
				if st := steps[ref.Host]; st != nil {
					e.failAt(results[ref.Host], *st, why)
				}
			}
		}
		return stop(0, why)
	}
	for i, batch := range ro.Batches {
		if e.Stopping != nil && e.Stopping() || ctx.Err() != nil {
			return stop(i, fmt.Sprintf("stopped by request before batch %d", i+1))
		}
		ref := batch[0]
		st := steps[ref.Host]
		if st == nil {
			return stop(i, fmt.Sprintf("replica %d on %s has no start-first deploy in the plan", ref.Index, ref.Host))
		}
		if err := e.startFirstReplica(ctx, s, ro, ref, st, results[ref.Host], live); err != nil {
			res.Previous = append(res.Previous, ref)
			res.Failed = &batch[0]
			return stop(i+1, fmt.Sprintf("batch %d failed on %s; the old version keeps serving there: %v", i+1, ref.Host, err))
		}
		res.Updated = append(res.Updated, ref)
	}
	return res
}

// liveServers asks every balancer host routing to the stack for its servers: the admin
// socket must answer before any container starts. Servers HAProxy does not have yet (a
// frontend this apply adds) are left to the reload. cannot says what a balancer host outside
// the run prevents, for the error.
func (e *Engine) liveServers(ctx context.Context, s *Session, ro schedule.Rollout, cannot string) (map[drainTarget]bool, error) {
	live := map[drainTarget]bool{}
	stats := map[string]map[string]balancer.ServerStat{}
	for _, b := range ro.Batches {
		for _, ref := range b {
			for _, t := range targets(e.Inventory, ro.Stack, ref.Index) {
				if _, ok := stats[t.host]; !ok {
					hs := s.hosts[t.host]
					if hs == nil || hs.conn == nil || hs.plan.Error != "" {
						return nil, fmt.Errorf("balancer host %s routes to stack.%s and is not in this run: %s (add it to --limit)", t.host, ro.Stack, cannot)
					}
					st, err := balancer.Stats(ctx, hs.conn)
					if err != nil {
						return nil, err
					}
					stats[t.host] = st
				}
				if _, ok := stats[t.host][t.backend+"/"+t.server]; ok {
					live[t] = true
				}
			}
		}
	}
	return live, nil
}

// startFirstReplica runs one replica's start-first deploy (see runStartFirst).
func (e *Engine) startFirstReplica(ctx context.Context, s *Session, ro schedule.Rollout, ref schedule.ReplicaRef, st *Step, r *HostResult, live map[drainTarget]bool) error {
	if r.Outcome == OutcomeFailed || r.Outcome == OutcomeSkipped {
		return fmt.Errorf("host %s did not finish its earlier changes: %s", ref.Host, r.Error)
	}
	bd, ok := st.Resource.(besideDeployer)
	if !ok {
		return fmt.Errorf("%s cannot be deployed beside its running version", st.Change.Address)
	}
	hs := s.hosts[ref.Host]
	if e.HostLock != nil {
		release, err := e.HostLock(ctx, hs.conn)
		if err != nil {
			e.failAt(r, *st, err.Error())
			return err
		}
		defer release()
	}
	if err := e.runStep(ctx, hs, *st); err != nil {
		e.failAt(r, *st, err.Error())
		return err
	}
	// The new version serves from here on, or is removed: on a context of its own, so
	// that a second Ctrl-C never leaves the balancers between two versions.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*enableTimeout)
	defer cancel()
	addr := serverAddress(e.Inventory.Host(ref.Host))
	var switched []drainTarget
	err := func() error {
		for _, t := range targets(e.Inventory, ro.Stack, ref.Index) {
			if !live[t] {
				continue
			}
			to, from := switchPorts(ro, ref, t.port)
			e.note(ref.Host, st, fmt.Sprintf("switching %s/%s on %s from port %d to %d", t.backend, t.server, t.host, from, to))
			if err := balancer.SetAddr(bctx, s.hosts[t.host].conn, t.backend, t.server, addr, to); err != nil {
				return err
			}
			switched = append(switched, t)
			if err := balancer.WaitUp(bctx, s.hosts[t.host].conn, t.backend, t.server, enableTimeout); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		for _, t := range switched {
			_, from := switchPorts(ro, ref, t.port)
			if berr := balancer.SetAddr(bctx, s.hosts[t.host].conn, t.backend, t.server, addr, from); berr != nil {
				err = errors.Join(err, fmt.Errorf("switching back: %w", berr))
			}
		}
		err = bd.Abandon(bctx, hs.conn, st.Change, fmt.Errorf("switch the balancers: %w", err))
		e.failAt(r, *st, err.Error())
		return err
	}
	_ = sleepCtx(bctx, switchGrace)
	e.note(ref.Host, st, "balancers switched; stopping the old version")
	if err := bd.Commit(bctx, hs.conn, st.Change); err != nil {
		e.failAt(r, *st, err.Error())
		return err
	}
	st.applied = true
	r.Applied++
	r.Outcome = OutcomeChanged
	return nil
}

// switchPorts are the port a replica's named port moves to and the one it leaves.
func switchPorts(ro schedule.Rollout, ref schedule.ReplicaRef, port string) (to, from int) {
	for _, sw := range ro.Switches {
		if sw.Index == ref.Index && sw.Host == ref.Host && sw.Port == port {
			return sw.To, sw.From
		}
	}
	return 0, 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
