package provisioner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
)

// Conn is a connected host.
type Conn interface {
	modules.Host
	Close() error
}

// Dialer connects to one inventory host.
type Dialer func(ctx context.Context, h *inventory.Host) (Conn, error)

// Facts are the host facts the engine needs to build resources (the full set lives in
// provisioner/facts and is shown by `berth facts`).
type Facts struct {
	Distro         string // os-release ID
	Codename       string
	Arch           string // dpkg architecture
	Compose        string // "v2", "v1" or "" when absent
	ListeningPorts []int
}

// FactsFunc gathers facts from a connected host in one round trip.
type FactsFunc func(ctx context.Context, h modules.Host) (Facts, error)

// Builder returns the resources of one host, in apply order.
type Builder func(inv *inventory.Inventory, h *inventory.Host, f Facts) []modules.Resource

// Engine plans and applies. Its zero value is not usable; fill every field but Events.
type Engine struct {
	Inventory *inventory.Inventory
	Dial      Dialer
	Facts     FactsFunc
	Build     Builder
	// Parallel bounds how many hosts are worked on at once (default 10).
	Parallel int
	Events   Sink
	// Lock, when set, is called before apply on each host and returns the release function.
	Lock func(ctx context.Context, h Conn) (release func(), err error)
	// Busy, when set, is called by read-only runs to report a held apply lock ("" when free).
	Busy func(ctx context.Context, h Conn) (string, error)
}

// Session holds the connections and resources behind a plan, so apply can run right after
// plan without observing twice. Close it when done.
type Session struct {
	Plan  *Plan
	hosts map[string]*hostSession
}

type hostSession struct {
	inv       *inventory.Host
	conn      Conn
	resources []modules.Resource
	plan      *HostPlan
}

// Close closes every connection of the session.
func (s *Session) Close() {
	for _, h := range s.hosts {
		if h.conn != nil {
			h.conn.Close()
		}
	}
}

// Plan connects to the named hosts, observes them and computes their changes. Hosts that
// cannot be reached get an Error in their HostPlan; the others are planned regardless.
func (e *Engine) Plan(ctx context.Context, names []string, readOnly bool) *Session {
	sess := &Session{
		Plan:  &Plan{Version: PlanVersion, InventoryHash: e.Inventory.Hash, CreatedAt: time.Now().UTC()},
		hosts: map[string]*hostSession{},
	}
	sort.Strings(names)
	for _, n := range names {
		hp := &HostPlan{Host: n, Changes: []modules.Change{}}
		sess.Plan.Hosts = append(sess.Plan.Hosts, hp)
		sess.hosts[n] = &hostSession{inv: e.Inventory.Host(n), plan: hp}
	}
	e.each(ctx, names, func(ctx context.Context, name string) {
		hs := sess.hosts[name]
		if err := e.planHost(ctx, hs, readOnly); err != nil {
			hs.plan.Error = err.Error()
			hs.plan.Changes = []modules.Change{}
			e.Events.emit(Event{Type: EventHostFailed, Host: name, Error: err.Error()})
		}
	})
	e.Events.emit(Event{Type: EventPlanned, Message: summaryLine(sess.Plan)})
	return sess
}

func (e *Engine) planHost(ctx context.Context, hs *hostSession, readOnly bool) error {
	if hs.inv == nil {
		return errors.New("not in the inventory")
	}
	name := hs.inv.Name
	start := time.Now()
	e.Events.emit(Event{Type: EventConnecting, Host: name, Message: hs.inv.Address})
	c, err := e.Dial(ctx, hs.inv)
	if err != nil {
		return err
	}
	hs.conn = c
	e.Events.emit(Event{Type: EventConnected, Host: name, Seconds: since(start)})
	if readOnly && e.Busy != nil {
		holder, err := e.Busy(ctx, c)
		if err != nil {
			return fmt.Errorf("check the apply lock: %w", err)
		}
		if holder != "" {
			hs.plan.Busy = holder
		}
	}
	f, err := e.Facts(ctx, c)
	if err != nil {
		return fmt.Errorf("gather facts: %w", err)
	}
	hs.resources = e.Build(e.Inventory, hs.inv, f)
	changes, err := Observe(ctx, c, hs.resources)
	if err != nil {
		return err
	}
	hs.plan.Changes = changes
	e.Events.emit(Event{Type: EventObserved, Host: name, Message: fmt.Sprintf("%d changes", len(changes)), Seconds: since(start)})
	return nil
}

// Observe runs every resource's probes in one batch and diffs them. Changes come out in
// resource order; a resource that depends on changed ones gets its restart or reload.
func Observe(ctx context.Context, h modules.Host, rs []modules.Resource) ([]modules.Change, error) {
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
	return Diff(h.Name(), rs, counts, results), nil
}

// Diff turns observations into changes without I/O (see Observe).
func Diff(host string, rs []modules.Resource, counts []int, results []modules.ProbeResult) []modules.Change {
	changes := []modules.Change{}
	changed := map[string]bool{}
	off := 0
	for i, r := range rs {
		own := r.Diff(results[off : off+counts[i]])
		off += counts[i]
		if dep, ok := r.(modules.Dependent); ok {
			own = notify(host, dep, own, changed)
		}
		for _, c := range own {
			c.Host = host
			changed[c.Address] = true
			changes = append(changes, c)
		}
	}
	return changes
}

// notify adds a dependent resource's restart (or reload) when something it depends on
// changed. A plain start is replaced by the restart, since a unit that was not running when
// observed (often: not installed yet) may be running with the old configuration by the time
// its turn comes; restart covers both.
func notify(host string, dep modules.Dependent, own []modules.Change, changed map[string]bool) []modules.Change {
	var why []string
	for _, a := range dep.DependsOn() {
		if changed[a] {
			why = append(why, a)
		}
	}
	if len(why) == 0 {
		return own
	}
	out := make([]modules.Change, 0, len(own)+1)
	for _, c := range own {
		switch c.Op {
		case "restart", "reload":
			return own
		case "start":
			continue
		}
		out = append(out, c)
	}
	return append(out, dep.Notify(host, why))
}

// each runs fn for every name with at most e.Parallel at once.
func (e *Engine) each(ctx context.Context, names []string, fn func(context.Context, string)) {
	n := e.Parallel
	if n <= 0 {
		n = 10
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, name)
		}()
	}
	wg.Wait()
}

func since(t time.Time) float64 { return time.Since(t).Round(time.Millisecond).Seconds() }
