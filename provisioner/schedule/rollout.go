package schedule

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Strategy is how the replicas of a changed stack are updated.
type Strategy string

const (
	// Rolling updates the replicas in batches of Parallel, one batch after the other: each
	// replica is drained from the balancers (when a frontend routes to the stack), recreated,
	// waited for until healthy and put back before the next batch starts.
	Rolling Strategy = "rolling"
	// AllAtOnce recreates every changed replica at the same moment, as berth always did: the
	// strategy of a single replica, and of a stack whose update block asks for it.
	AllAtOnce Strategy = "all-at-once"
)

// DefaultDrainTimeout bounds how long a replica's in-flight requests may take to end once
// the balancers stopped sending it new ones.
const DefaultDrainTimeout = 30 * time.Second

// UpdatePolicy is a stack's update block as the inventory loaded it; zero values are defaults.
type UpdatePolicy struct {
	Strategy     Strategy      // "" picks: rolling from 2 replicas on, all-at-once below
	Parallel     int           // replicas per batch; 0 means 1
	DrainTimeout time.Duration // 0 means DefaultDrainTimeout
}

// ReplicaRef names one replica of a stack.
type ReplicaRef struct {
	Index int    `json:"index"`
	Host  string `json:"host"`
}

// RolloutRequest is what the rollout of one stack is decided from.
type RolloutRequest struct {
	Stack string
	// Replicas is the stack's desired replica count.
	Replicas int
	// Recreate are the replicas running now whose deploy recreates their containers: the ones
	// that stop serving for a while. New replicas are not in it: they serve nobody yet.
	Recreate []ReplicaRef
	// Balancers names the balancers with a frontend routing to the stack.
	Balancers []string
	Policy    UpdatePolicy
}

// Rollout is the decided order of a stack's update.
type Rollout struct {
	Stack    string   `json:"stack"`
	Strategy Strategy `json:"strategy"`
	// Drain says each replica leaves the balancers before it is recreated.
	Drain     bool          `json:"drain,omitempty"`
	Balancers []string      `json:"balancers,omitempty"`
	Timeout   time.Duration `json:"drain_timeout,omitempty"`
	// Batches run in order; the replicas of one batch at the same time. Empty for AllAtOnce:
	// every replica is recreated by its host's own deploy.
	Batches [][]ReplicaRef `json:"batches,omitempty"`
	// Note says why the strategy is not the one asked for, or what it cannot do.
	Note string `json:"note,omitempty"`
}

// PlanRollout decides how a stack's replicas are updated. It is pure: same request, same
// rollout. Replicas are batched in index order, so that the plan reads like the run.
func PlanRollout(req RolloutRequest) Rollout {
	ro := Rollout{Stack: req.Stack, Strategy: req.Policy.Strategy}
	if ro.Strategy == "" {
		ro.Strategy = Rolling
		if req.Replicas < 2 {
			ro.Strategy = AllAtOnce
			ro.Note = "a single replica is stopped while it is recreated"
		}
	}
	if ro.Strategy != Rolling || len(req.Recreate) == 0 {
		return ro
	}
	ro.Balancers = append([]string(nil), req.Balancers...)
	sort.Strings(ro.Balancers)
	ro.Drain = len(ro.Balancers) > 0
	if ro.Drain {
		ro.Timeout = req.Policy.DrainTimeout
		if ro.Timeout <= 0 {
			ro.Timeout = DefaultDrainTimeout
		}
	}
	reps := append([]ReplicaRef(nil), req.Recreate...)
	sort.Slice(reps, func(i, j int) bool {
		return reps[i].Index < reps[j].Index || reps[i].Index == reps[j].Index && reps[i].Host < reps[j].Host
	})
	n := max(req.Policy.Parallel, 1)
	for len(reps) > 0 {
		k := min(n, len(reps))
		ro.Batches = append(ro.Batches, reps[:k:k])
		reps = reps[k:]
	}
	if n >= req.Replicas && ro.Drain {
		ro.Note = fmt.Sprintf("parallel = %d takes every replica out of the balancers at once", n)
	}
	return ro
}

// String renders a rollout for the plan: the strategy, then one line per batch.
func (ro Rollout) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack.%s: %s", ro.Stack, ro.Strategy)
	if ro.Strategy == Rolling && len(ro.Batches) > 0 {
		fmt.Fprintf(&b, ", %s per batch", plural(len(ro.Batches[0]), "replica"))
		if ro.Drain {
			word := "balancer"
			if len(ro.Balancers) > 1 {
				word = "balancers"
			}
			fmt.Fprintf(&b, ", each drained from %s %s first (drain timeout %s)", word, strings.Join(ro.Balancers, ", "), ro.Timeout)
		}
	}
	if ro.Note != "" {
		fmt.Fprintf(&b, " (%s)", ro.Note)
	}
	for i, batch := range ro.Batches {
		var reps []string
		for _, r := range batch {
			reps = append(reps, fmt.Sprintf("replica %d on %s", r.Index, r.Host))
		}
		fmt.Fprintf(&b, "\n  batch %d: %s", i+1, strings.Join(reps, ", "))
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
