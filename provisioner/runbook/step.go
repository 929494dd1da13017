package runbook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/inventory"
)

// exec runs one step of any kind, writing what it does to out.
func (r *Runner) exec(ctx context.Context, j *Journal, st *inventory.Step, out io.Writer) error {
	if st.Timeout > 0 && st.Kind != "wait" { // wait steps bound their own polling
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.Timeout)
		defer cancel()
	}
	switch st.Kind {
	case "apply":
		if r.Applier == nil {
			return errors.New("no applier configured")
		}
		return r.Applier.Apply(ctx, st, r.DryRun, out)
	case "exec":
		return r.execStep(ctx, st, out)
	case "wait":
		return r.waitStep(ctx, st, out)
	case "confirm":
		return r.confirmStep(ctx, j, st, out)
	case "balancer":
		return r.balancerStep(ctx, st, out)
	case "service":
		return r.serviceStep(ctx, st, out)
	}
	return fmt.Errorf("unknown step kind %q", st.Kind)
}

// stepHosts are the hosts a step works on, sorted: its own hosts; for apply steps without
// hosts every host; for balancer steps the balancer's hosts.
func (r *Runner) stepHosts(st *inventory.Step) []string {
	var hs []string
	switch st.Kind {
	case "confirm":
		return nil
	case "apply":
		hs = st.Hosts
		if len(hs) == 0 {
			for _, h := range r.Inventory.Hosts {
				hs = append(hs, h.Name)
			}
		}
	case "balancer":
		if b := r.balancer(st.Attrs["balancer"]); b != nil {
			hs = b.Hosts
		}
	default:
		hs = st.Hosts
	}
	hs = append([]string(nil), hs...)
	sort.Strings(hs)
	return hs
}

func (r *Runner) balancer(name string) *inventory.Balancer {
	for _, b := range r.Inventory.Balancers {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// touched is every host any step or undo of the runbook works on: the hosts it locks.
func (r *Runner) touched() []string {
	set := map[string]bool{}
	for _, st := range r.Runbook.Steps {
		for _, h := range r.stepHosts(st) {
			set[h] = true
		}
		if st.Undo != nil {
			for _, h := range r.stepHosts(undoOf(st)) {
				set[h] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// undoOf is a step's undo, inheriting the step's hosts when it names none.
func undoOf(st *inventory.Step) *inventory.Step {
	u := *st.Undo
	if len(u.Hosts) == 0 {
		u.Hosts = st.Hosts
	}
	if u.ID == "" {
		u.ID = st.ID + ".undo"
	}
	return &u
}

func describeTarget(st *inventory.Step, hosts []string) string {
	if len(hosts) == 0 {
		return st.Kind
	}
	return st.Kind + " on " + strings.Join(hosts, ", ")
}

// capture tees step output to the terminal and keeps it for the journal.
type capture struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

func newCapture(w io.Writer) *capture { return &capture{w: w} }

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.w != nil {
		c.w.Write(p)
	}
	return len(p), nil
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// line writes one output line of a host, prefixed like berth exec ("host | line").
func line(out io.Writer, host, s string) {
	fmt.Fprintf(out, "    %s | %s\n", host, s)
}
