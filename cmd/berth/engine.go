package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/conn"
	"github.com/berth-dev/berth/provisioner/facts"
)

// engineFlags are shared by plan, apply, drift, runbook run and runbook undo.
type engineFlags struct {
	inv         *inventoryFlags
	parallel    int
	stats       bool
	lockTimeout time.Duration
	timeout     time.Duration
	noColor     bool
	// forceRecreate is --force-recreate (plan and apply only: drift reports, never forces).
	forceRecreate bool
	// rollback names the stack `berth rollback` brings back: the engine then plans nothing else.
	rollback string
}

// addEngineFlags registers the inventory flags and the engine's; timeout is the default
// bound on the whole run, which differs between commands.
func addEngineFlags(fs *flag.FlagSet, timeout time.Duration) *engineFlags {
	f := &engineFlags{inv: addInventoryFlags(fs)}
	f.inv.addSourceFlags(fs)
	fs.IntVar(&f.parallel, "p", 10, "work on at most `N` hosts at once")
	fs.IntVar(&f.parallel, "parallel", 10, "same as -p")
	fs.BoolVar(&f.stats, "stats", false, "print round trips and connection time per host")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait this long for a host lock held by another berth (default: fail at once)")
	fs.DurationVar(&f.timeout, "timeout", timeout, "bound on the whole run")
	fs.BoolVar(&f.noColor, "no-color", false, "plain progress lines, no live terminal view")
	return f
}

// addForceRecreate registers --force-recreate, for the commands that plan changes to make.
func (f *engineFlags) addForceRecreate(fs *flag.FlagSet) {
	fs.BoolVar(&f.forceRecreate, "force-recreate", false, "recreate every selected stack's containers, changed or not")
}

// statsConn remembers connections so --stats can report their cost.
type statsConn struct {
	mu    sync.Mutex
	conns map[string]*conn.SSH
}

// newEngine wires the engine to the SSH transport and the host lock.
func newEngine(e *env, inv *inventory.Inventory, f *engineFlags, p *progress, command string) (*provisioner.Engine, *statsConn, error) {
	res, err := newResolver(e, inv)
	if err != nil {
		return nil, nil, err
	}
	current, err := provisioner.CurrentAssignment(inv)
	if err != nil {
		return nil, nil, err
	}
	local, err := provisioner.LocalImages(context.Background(), inv)
	if err != nil {
		return nil, nil, err
	}
	sc := &statsConn{conns: map[string]*conn.SSH{}}
	runID := newRunID()
	build := provisioner.NewBuilder(provisioner.BuildOptions{LocalImages: local, Save: provisioner.SaveLocalImage, ForceRecreate: f.forceRecreate})
	if f.rollback != "" {
		build = provisioner.RollbackBuilder(f.rollback, provisioner.BuildOptions{})
	}
	var hints provisioner.Hints
	if path, err := facts.HintsPath(inv.Dir); err == nil {
		hints = facts.LoadHints(path)
	}
	eng := &provisioner.Engine{
		Hints:     hints,
		Inventory: inv,
		Current:   current,
		Parallel:  f.parallel,
		Events:    p.sink,
		Build:     build,
		Dial: func(ctx context.Context, h *inventory.Host) (provisioner.Conn, error) {
			c, err := dialHost(ctx, res, h)
			if err != nil {
				return nil, err
			}
			name := h.Name
			c.JobProgress = func(line string) { p.sink(provisioner.Event{Type: provisioner.EventOutput, Host: name, Message: line}) }
			sc.mu.Lock()
			sc.conns[h.Name] = c
			sc.mu.Unlock()
			return c, nil
		},
		Run: runID,
		HostLock: func(ctx context.Context, c provisioner.Conn) (func(), error) {
			return lockHost(ctx, c, f.lockTimeout, command, runID)
		},
	}
	return eng, sc, nil
}

// print writes one line per host with what its connection cost.
func (s *statsConn) print(e *env) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range slices.Sorted(maps.Keys(s.conns)) {
		st := s.conns[n].Stats()
		fmt.Fprintf(e.stderr, "stats: %s: connect %s, %d round trips, %d bytes sent, %s\n", n, st.Connect.Round(time.Millisecond), st.RoundTrips, st.BytesOut, agentStats(s.conns[n]))
	}
}

// interruptible returns a context for a run: the first Ctrl-C (or SIGTERM) asks hosts to
// stop after the change they are in, which never leaves a package half-installed. A second
// one stops waiting: a stack deploy the host carries out on its own (through the agent)
// goes on there to its end or its rollback, and the host releases its lock when done; berth
// only puts drained servers back in their balancers, then exits. Without the agent, commands
// in flight are aborted and a cut deploy rolls back from here on its own bounded context.
// A third one exits at once, whatever is in flight.
func interruptible(e *env, timeout time.Duration) (ctx context.Context, stopping func() bool, done func()) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	var stop atomic.Bool
	sig := make(chan os.Signal, 3)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range sig {
			switch n++; n {
			case 1:
				stop.Store(true)
				fmt.Fprintln(e.stderr, "berth: stopping after the current change on each host (interrupt again to leave now)")
			case 2:
				fmt.Fprintln(e.stderr, "berth: leaving now: each host finishes or rolls back the change it is in on its own, then releases its lock (`berth runs HOST` shows how it ended); drained servers are put back in their balancers first; on hosts without the agent, commands in flight are aborted and a cut deploy rolls back from here (interrupt again to exit at once)")
				cancel()
			default:
				fmt.Fprintln(e.stderr, "berth: exiting now; hosts with the agent still finish the change they are in; others may be left mid-change: the next apply converges them")
				os.Exit(130)
			}
		}
	}()
	return ctx, stop.Load, func() { signal.Stop(sig); cancel() }
}

// hostErrors prints the hosts that could not be planned, with hints, to stderr.
func hostErrors(e *env, p *provisioner.Plan) int {
	n := 0
	for _, h := range p.Hosts {
		if h.Error == "" {
			continue
		}
		n++
		fmt.Fprintf(e.stderr, "error: %s: %s\n", h.Host, h.Error)
		if h.Hint != "" {
			fmt.Fprintf(e.stderr, "hint: %s\n", h.Hint)
		}
	}
	return n
}

func oneLineErr(s string) string { return strings.ReplaceAll(s, "\n", " ") }
