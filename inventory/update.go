package inventory

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Update is a stack's update block: how its replicas are replaced when it changes.
type Update struct {
	// Strategy is "rolling", "all-at-once" or "start-first"; "" lets berth pick (rolling from 2
	// replicas, start-first for one behind a balancer).
	Strategy string
	// Parallel is how many replicas a rolling update replaces at once; 0 means 1.
	Parallel int
	// DrainTimeout bounds the wait for a drained replica's requests to end; 0 means 30s.
	DrainTimeout time.Duration
	// Keep is how many deployed versions each host keeps for rollback; 0 means 3.
	Keep int
	// DeclRange is the block's, ParallelRange the parallel attribute's (for warnings).
	DeclRange, ParallelRange hcl.Range
}

var updateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "strategy"}, {Name: "parallel"}, {Name: "drain_timeout"}, {Name: "keep"},
}}

func (l *loader) update(b *hcl.Block, s *Stack) {
	a := l.attrsIn(l.content(b, updateSchema), l.ctx)
	u := Update{DeclRange: b.DefRange, ParallelRange: a.rng("parallel", b.DefRange)}
	a.oneOf("strategy", &u.Strategy, "rolling", "all-at-once", "start-first")
	if a.integer("parallel", &u.Parallel) && u.Parallel < 1 {
		a.fail("parallel", "Invalid parallel", "parallel must be at least 1.")
	}
	a.duration("drain_timeout", &u.DrainTimeout) // refuses zero and negative durations
	if a.integer("keep", &u.Keep) && u.Keep < 2 {
		a.fail("keep", "Invalid keep", "keep must be at least 2: the running version and one to roll back to.")
	}
	s.Update = u
}

// updateChecks warns about update blocks that cannot keep any replica of a balanced stack
// serving during an update: every replica out of the balancer at once.
func (l *loader) updateChecks() {
	balanced := map[string]string{}
	for _, b := range l.inv.Balancers {
		for _, f := range b.Frontends {
			balanced[f.Stack] = b.Name
		}
	}
	for _, s := range l.inv.Stacks {
		u, lb := s.Update, balanced[s.Name]
		if lb == "" || s.Replicas < 2 {
			continue
		}
		switch {
		case u.Strategy == "all-at-once":
			l.diags = append(l.diags, warnf(u.DeclRange, "Update stops every replica at once",
				"Stack %q has %d replicas behind balancer %q and strategy \"all-at-once\": requests fail while they restart. Remove strategy for a rolling update.", s.Name, s.Replicas, lb))
		case u.Parallel >= s.Replicas:
			l.diags = append(l.diags, warnf(u.ParallelRange, "Update takes every replica out of the balancer",
				"Stack %q has %d replicas behind balancer %q and parallel = %d: each batch drains them all, so requests fail while they restart. Use parallel = %s.", s.Name, s.Replicas, lb, u.Parallel, fmt.Sprint(s.Replicas-1)))
		}
	}
}
