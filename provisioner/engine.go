package provisioner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner/agent"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/hostlock"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/hashicorp/hcl/v2"
)

// Conn is a connected host.
type Conn interface {
	modules.Host
	Close() error
}

// Dialer connects to one inventory host.
type Dialer func(ctx context.Context, h *inventory.Host) (Conn, error)

// Builder returns the resources of one host, in apply order. An error (a configuration that
// cannot be rendered, say) fails the host's plan: it is never turned into a change.
type Builder func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error)

// Step is one planned change with the resource that emitted it. Apply hands the change back
// to that resource: routing never depends on an address or an operation name, so two
// resources sharing an address (a replica arriving and the removal of the one leaving) each
// get their own changes.
type Step struct {
	Change   modules.Change
	Resource modules.Resource
	// applied is set by Apply once the change is carried out (see Session.Realized).
	applied bool
	// rollout is set on a replica's deploy that a rolling update runs, in its batch, rather
	// than its host's deploy phase (see planRollouts).
	rollout bool
}

// Engine plans and applies. Its zero value is not usable; fill every field but Events.
type Engine struct {
	Inventory *inventory.Inventory
	Dial      Dialer
	Build     Builder
	// Current is the placement in force (from the lock file); the plan keeps what it can.
	Current schedule.Assignment
	// Parallel bounds how many hosts are worked on at once (default 10).
	Parallel int
	Events   Sink
	// HostLock, when set, takes the host lock (the per-host mutex of provisioner/hostlock) before
	// apply on each host and returns the release function.
	HostLock func(ctx context.Context, h Conn) (release func(), err error)
	// Stopping, when set, is checked between changes: once it returns true, hosts finish the
	// change they are in and stop (a first Ctrl-C), while cancelling the context aborts
	// commands in flight (a second one).
	Stopping func() bool
	// Now is the clock certificates are judged by (nil: time.Now).
	Now func() time.Time
	// Hints, when set, predicts hosts' facts so that their resources' probes go with the
	// first look (see prefetch.go), and learns the facts this run sees.
	Hints Hints
	// Run is the run's id: each change is journaled under it on its host (see Journaler);
	// "" journals nothing.
	Run string
}

// Session holds the connections and resources behind a plan, so apply can run right after
// plan without observing twice. Close it when done.
type Session struct {
	Plan *Plan
	// Diags are placement problems, at the stacks' source ranges.
	Diags hcl.Diagnostics
	hosts map[string]*hostSession
	// current is the placement the plan started from: the placement file, plus the stacks
	// found deployed on the hosts (see WithDeployed).
	current schedule.Assignment
}

type hostSession struct {
	inv  *inventory.Host
	conn Conn
	// steps are the plan's changes with their resources, in plan.Changes' order.
	steps    []Step
	facts    *facts.Facts
	plan     *HostPlan
	started  bool
	start    time.Time
	deployed []string // stacks with a manifest on the host
	seq      int      // the last change journaled (see journalStart)
	// pre holds the results of the probes the first look predicted (see prefetch.go),
	// until the resources' observation uses them.
	pre prefetch
	// observed is set once the host's resources were observed (or failed to be).
	observed bool
}

// Close closes every connection of the session.
func (s *Session) Close() {
	for _, h := range s.hosts {
		if h.conn != nil {
			h.conn.Close()
		}
	}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Plan connects to the named hosts, observes them and computes their changes. Hosts that
// cannot be reached get an Error in their HostPlan; the others are planned regardless.
func (e *Engine) Plan(ctx context.Context, names []string, readOnly bool) *Session {
	sess := &Session{
		Plan:  &Plan{Version: PlanVersion, Inventory: e.Inventory.Dir, InventoryHash: e.Inventory.Hash, CreatedAt: time.Now().UTC()},
		hosts: map[string]*hostSession{},
	}
	sort.Strings(names)
	for _, n := range names {
		hp := &HostPlan{Host: n, Changes: []modules.Change{}}
		sess.Plan.Hosts = append(sess.Plan.Hosts, hp)
		sess.hosts[n] = &hostSession{inv: e.Inventory.Host(n), plan: hp}
	}
	// Phase 1, every host: connect and take a first look (facts, lock). A host whose
	// resources cannot depend on the others' facts is observed at once (see standalone).
	alone := e.standalone()
	e.each(ctx, names, func(ctx context.Context, name string) {
		hs := sess.hosts[name]
		hs.started = true
		if err := e.firstLook(ctx, hs, readOnly); err != nil {
			e.fail(hs, err)
			return
		}
		if alone && len(hs.deployed) == 0 {
			e.observeHost(ctx, hs, schedule.Assignment{}, readOnly)
		}
	})
	// Placement needs every host's facts at once: it is the one global, pure step.
	all := map[string]*facts.Facts{}
	for n, hs := range sess.hosts {
		if hs.facts != nil {
			all[n] = hs.facts
		}
	}
	deployed := map[string][]string{}
	for n, hs := range sess.hosts {
		deployed[n] = hs.deployed
	}
	current := WithDeployed(e.Current, deployed)
	sess.current = current
	placement, diags := Place(e.Inventory, all, current)
	// What this run can carry out: nothing starts on a host it does not reach, so a move
	// there is held (its old place keeps running) and a new replica there waits.
	reached := func(h string) bool {
		hs := sess.hosts[h]
		return hs != nil && hs.facts != nil && hs.plan.Error == ""
	}
	placement = schedule.WithinRun(placement, current, reached, func(stack string) string {
		return balancerOutside(e.Inventory, stack, reached)
	})
	sess.Plan.Placement = &placement
	sess.Plan.Certificates = CertificateFindings(e.Inventory, func(h string) bool { return sess.hosts[h] != nil }, e.now())
	sess.Diags = append(diags, CertificateDiags(sess.Plan.Certificates, hcl.DiagWarning)...)
	// Phase 2, every host that answered: build its resources, observe them, diff.
	e.each(ctx, names, func(ctx context.Context, name string) {
		hs := sess.hosts[name]
		if hs.facts == nil || hs.plan.Error != "" || hs.observed {
			return
		}
		e.observeHost(ctx, hs, placement, readOnly)
	})
	for _, hs := range sess.hosts {
		if !hs.started {
			hs.plan.Error = "not observed: the run was cancelled first"
		}
	}
	if e.Hints != nil {
		e.Hints.Save()
	}
	e.planRollouts(ctx, sess)
	e.Events.emit(Event{Type: EventPlanned, Message: summaryLine(sess.Plan)})
	return sess
}

func (e *Engine) fail(hs *hostSession, err error) {
	hs.plan.Error = err.Error()
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		hs.plan.Hint = h.Hint()
	}
	hs.plan.Changes, hs.steps = []modules.Change{}, nil
	e.Events.emit(Event{Type: EventHostFailed, Host: hs.plan.Host, Error: err.Error()})
}

// firstLook connects to a host and reads its facts (and lock, for read-only runs).
func (e *Engine) firstLook(ctx context.Context, hs *hostSession, readOnly bool) error {
	if hs.inv == nil {
		return errors.New("not in the inventory")
	}
	name := hs.inv.Name
	hs.start = time.Now()
	e.Events.emit(Event{Type: EventConnecting, Host: name, Message: hs.inv.Address})
	c, err := e.Dial(ctx, hs.inv)
	if err != nil {
		return err
	}
	hs.conn = c
	e.Events.emit(Event{Type: EventConnected, Host: name, Seconds: since(hs.start)})
	scope := e.factsScope(hs.inv)
	look, err := firstLook(ctx, c, readOnly, scope, e.ahead(hs.inv, scope))
	if err != nil {
		return err
	}
	f, holder, deployed := look.facts, look.holder, look.deployed
	if scope < facts.ScopeDocker && len(deployed) > 0 {
		// Stacks berth deployed earlier, that the inventory no longer has anywhere: their
		// removal needs the host's compose command. A rare third round trip.
		if f, err = facts.Gather(ctx, c); err != nil {
			return err
		}
	}
	hs.deployed = deployed
	hs.plan.Previous = look.previous
	if holder != nil {
		hs.plan.Busy = "locked by " + holder.String()
	}
	hs.facts = f
	hs.pre = look.pre
	if e.Hints != nil && f.Scope > facts.ScopeNone {
		e.Hints.Learn(f)
	}
	return nil
}

// factsScope is how much of a host's facts this run can use: the Docker layer reads the
// OS and architecture, placement the capacity and ports, stacks the compose command. A
// host with only files, directories, packages and services in an inventory without stacks
// or balancers needs none, and its first look is the lock and deployed-stack probes alone.
func (e *Engine) factsScope(h *inventory.Host) facts.Scope {
	switch {
	case h.Docker != nil || len(e.Inventory.Stacks) > 0 || len(e.Current.Stacks) > 0:
		return facts.ScopeDocker
	case len(e.Inventory.Balancers) > 0:
		return facts.ScopeBase
	}
	return facts.ScopeNone
}

// standalone says whether no host's resources depend on the fleet's placement: no stacks
// or balancers in the inventory or the placement in force. Then a host (without stacks
// deployed on it) can be observed right after its first look, without waiting for every
// other host's facts.
func (e *Engine) standalone() bool {
	return len(e.Inventory.Stacks) == 0 && len(e.Inventory.Balancers) == 0 && len(e.Current.Stacks) == 0
}

// observeHost observes a host under placement a. A read-only plan needs the host no more
// afterwards: its connection is closed at once, so that a fleet's memory holds the hosts
// in flight rather than every host until the slowest is done (the session's Close closes
// it again, harmlessly).
func (e *Engine) observeHost(ctx context.Context, hs *hostSession, a schedule.Assignment, readOnly bool) {
	hs.observed = true
	if err := e.observe(ctx, hs, a); err != nil {
		e.fail(hs, err)
	}
	if readOnly {
		hs.conn.Close()
	}
}

// observe builds a host's resources and diffs them against one batch of observations.
func (e *Engine) observe(ctx context.Context, hs *hostSession, a schedule.Assignment) error {
	rs, err := e.Build(e.Inventory, hs.inv, hs.facts, a)
	if err != nil {
		return err
	}
	for _, r := range rs {
		hs.plan.Resources = append(hs.plan.Resources, r.Address())
	}
	steps, err := Observe(ctx, prefetched{Host: hs.conn, pre: hs.pre}, rs)
	hs.pre = nil
	if err != nil {
		return err
	}
	hs.steps = steps
	hs.plan.Changes = Changes(steps)
	e.Events.emit(Event{Type: EventObserved, Host: hs.plan.Host, Message: fmt.Sprintf("%d changes", len(steps)), Seconds: since(hs.start)})
	return nil
}

// look is what the first look found.
type look struct {
	facts    *facts.Facts
	holder   *hostlock.Holder // nil when the host is free (or the run is not read-only)
	deployed []string
	previous string // how the last run ended without its berth (see agent.UnseenText)
	pre      prefetch
}

// firstLook is the first round trip to a host: its facts, the stacks berth deployed there
// (their manifests), how the host's last run ended when it ended without its berth (see
// agent.UnseenFile), for read-only runs whether an apply holds its lock, and the probes
// ahead (the resources' probes as predicted, see prefetch.go). When the prediction holds,
// it is the only round trip of a plan. A failing batch is tried again without the
// probes ahead, which may fail where the real resources' would not.
func firstLook(ctx context.Context, h modules.Host, readOnly bool, scope facts.Scope, ahead []modules.Probe) (look, error) {
	probes := append(facts.Probes(scope), stack.DeployedProbe(), modules.ContentProbe(agent.UnseenFile))
	n := len(probes)
	if readOnly {
		probes = append(probes, hostlock.StatusProbes("")...)
	}
	m := len(probes)
	probes = append(probes, ahead...)
	res, err := h.Observe(ctx, probes)
	if err != nil && len(ahead) > 0 && ctx.Err() == nil {
		return firstLook(ctx, h, readOnly, scope, nil)
	}
	if err != nil {
		return look{}, fmt.Errorf("gather facts: %w", err)
	}
	if len(res) != len(probes) {
		return look{}, fmt.Errorf("gather facts: %d results for %d probes", len(res), len(probes))
	}
	return look{facts: facts.FromResults(h.Name(), res[:n-2]), holder: hostlock.StatusFrom(res[n:m]), deployed: stack.Deployed(res[n-2]),
		previous: agent.UnseenText(h.Name(), res[n-1].Data), pre: newPrefetch(ahead, res[m:])}, nil
}

// Observe runs every resource's probes in one batch and diffs them. Changes come out in
// resource order; a resource that depends on changed ones gets its restart or reload.
func Observe(ctx context.Context, h modules.Host, rs []modules.Resource) ([]Step, error) {
	var probes []modules.Probe
	counts := make([]int, len(rs))
	for i, r := range rs {
		p := r.Probes()
		counts[i] = len(p)
		probes = append(probes, p...)
	}
	results, err := h.Observe(ctx, probes)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	if len(results) != len(probes) {
		return nil, fmt.Errorf("observe: %d results for %d probes", len(results), len(probes))
	}
	if err := check(rs, counts, results); err != nil {
		return nil, err
	}
	return Diff(h.Name(), rs, counts, results), nil
}

// check runs the modules.Checker of every resource on its own results and joins what they
// refuse: a host that cannot carry out its desired state has no plan.
func check(rs []modules.Resource, counts []int, results []modules.ProbeResult) error {
	var errs []error
	off := 0
	for i, r := range rs {
		if c, ok := r.(modules.Checker); ok {
			if err := c.Check(results[off : off+counts[i]]); err != nil {
				errs = append(errs, err)
			}
		}
		off += counts[i]
	}
	return errors.Join(errs...)
}

// Diff turns observations into steps without I/O (see Observe). A Dependent whose
// dependencies change gets to rewrite its own changes (see modules.Dependent).
func Diff(host string, rs []modules.Resource, counts []int, results []modules.ProbeResult) []Step {
	steps := []Step{}
	changed := map[string]bool{}
	off := 0
	for i, r := range rs {
		own := r.Diff(results[off : off+counts[i]])
		off += counts[i]
		if dep, ok := r.(modules.Dependent); ok {
			if why := changedDeps(dep, changed); len(why) > 0 {
				own = dep.Notify(own, why)
			}
		}
		for _, c := range own {
			c.Host = host
			changed[c.Address] = true
			steps = append(steps, Step{Change: c, Resource: r})
		}
	}
	return steps
}

// Changes returns the changes of steps, in order: the plan's data.
func Changes(steps []Step) []modules.Change {
	cs := make([]modules.Change, len(steps))
	for i, s := range steps {
		cs[i] = s.Change
	}
	return cs
}

// changedDeps lists the dependencies of dep that have a change, in DependsOn's order.
func changedDeps(dep modules.Dependent, changed map[string]bool) []string {
	var why []string
	for _, a := range dep.DependsOn() {
		if changed[a] {
			why = append(why, a)
		}
	}
	return why
}

// each runs fn for every name with at most e.Parallel at once (see EachHost).
func (e *Engine) each(ctx context.Context, names []string, fn func(context.Context, string)) {
	EachHost(ctx, names, e.Parallel, func(ctx context.Context, name string) error {
		fn(ctx, name)
		return nil
	})
}

func since(t time.Time) float64 { return time.Since(t).Round(time.Millisecond).Seconds() }
