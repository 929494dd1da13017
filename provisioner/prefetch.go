package provisioner

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/facts"
)

// A host's resources are built from its facts and the fleet's placement, so their probes
// depend on the first look's answers, and on every other host's. Neither the agent nor a
// shell script can evaluate that dependency: it is berth's builder and scheduler. What
// berth can do is predict it. The first look carries, besides facts, lock and deployed
// stacks, the probes of the resources built from the facts an earlier run saw (Hints)
// and the placement in force; once the real facts and placement are known, the real
// resources take their results from that prefetch and ask the host only for probes the
// prediction missed. A no-change run whose hosts did not change is then one round trip
// per host; a wrong prediction costs a second round trip, as before, never a wrong plan.

// Hints predicts a host's facts from an earlier run (see facts.Hints). Safe for
// concurrent use.
type Hints interface {
	// Facts returns what an earlier run saw of host, or nil.
	Facts(host string) *facts.Facts
	// Learn records what this run saw.
	Learn(f *facts.Facts)
	// Save keeps what was learned for the next run. Plan calls it once, at its end; an
	// error only costs the next run its prediction.
	Save() error
}

// probeKey identifies a probe: two probes with the same key observe the same thing.
func probeKey(p modules.Probe) string {
	if p.Path != "" {
		if p.Content {
			return "c\x00" + p.Path
		}
		return "p\x00" + p.Path
	}
	return "x\x00" + strings.Join(p.Argv, "\x00")
}

// prefetch holds results observed ahead of need, by probe key.
type prefetch map[string]modules.ProbeResult

func newPrefetch(probes []modules.Probe, res []modules.ProbeResult) prefetch {
	if len(probes) == 0 {
		return nil
	}
	pre := make(prefetch, len(probes))
	for i, p := range probes {
		pre[probeKey(p)] = res[i]
	}
	return pre
}

// prefetched is a host whose Observe answers from pre what it can and asks the host for
// the rest, in one batch.
type prefetched struct {
	modules.Host
	pre prefetch
}

// Observe implements modules.Host.
func (h prefetched) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	out := make([]modules.ProbeResult, len(probes))
	var missing []modules.Probe
	var at []int
	for i, p := range probes {
		if r, ok := h.pre[probeKey(p)]; ok {
			out[i] = r
			continue
		}
		missing = append(missing, p)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	res, err := h.Host.Observe(ctx, missing)
	if err != nil {
		return nil, err
	}
	if len(res) != len(missing) {
		return nil, fmt.Errorf("%d results for %d probes", len(res), len(missing))
	}
	for j, r := range res {
		out[at[j]] = r
	}
	return out, nil
}

// ahead returns the probes of host h's resources as predicted before its first look:
// built from the facts an earlier run saw (none when there are no hints: a host whose
// scope is facts.ScopeNone needs none) and the placement in force. Duplicates are dropped.
// A build that fails predicts nothing: the real build reports it.
func (e *Engine) ahead(h *inventory.Host, scope facts.Scope) []modules.Probe {
	var f *facts.Facts
	if e.Hints != nil && scope > facts.ScopeNone {
		f = e.Hints.Facts(h.Name)
	}
	if f == nil {
		f = &facts.Facts{Host: h.Name}
	}
	f.Scope = scope
	rs, err := e.Build(e.Inventory, h, f, e.Current)
	if err != nil {
		return nil
	}
	var probes []modules.Probe
	seen := map[string]bool{}
	for _, r := range rs {
		for _, p := range r.Probes() {
			if k := probeKey(p); !seen[k] {
				seen[k] = true
				probes = append(probes, p)
			}
		}
	}
	return probes
}
