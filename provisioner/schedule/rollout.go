package schedule

import (
	"fmt"
	"slices"
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
	// StartFirst (blue-green) starts the new version of a replica beside the running one,
	// on the replica's standby ports, waits until it is healthy, switches the balancers to
	// it, then stops the old one. The default of a single replica behind a balancer.
	StartFirst Strategy = "start-first"
)

// DefaultDrainTimeout bounds how long a replica's in-flight requests may take to end once
// the balancers stopped sending it new ones.
const DefaultDrainTimeout = 30 * time.Second

// UpdatePolicy is a stack's update block as the inventory loaded it; zero values are defaults.
type UpdatePolicy struct {
	Strategy     Strategy      // "" picks: rolling from 2 replicas on, start-first or all-at-once below
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
	// Beside says why two versions of a replica cannot run side by side on one host (a fixed
	// host port, a named volume, a container_name): "" when they can.
	Beside string
	// Placed are the stack's replicas as the placement has them: the ports each serves on
	// and its standby ports, where a start-first deploy starts the new version.
	Placed []Replica
	// Returnable says every replica's deploy can be undone after it succeeded: the replica
	// brought back to the version it ran before (see Rollout.ReturnBatch).
	Returnable bool
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
	// ReturnBatch says a failed batch is rolled back as a whole: when a replica of a batch
	// fails (and rolls itself back), the replicas of the same batch that turned healthy are
	// drained again and returned to the version they ran before the rollout. Only batches of
	// more than one replica need it.
	ReturnBatch bool `json:"return_batch,omitempty"`
	// Note says why the strategy is not the one asked for, or what it cannot do.
	Note string `json:"note,omitempty"`
	// Switches are the port moves of a start-first rollout, one per replica and port.
	Switches []PortSwitch `json:"switches,omitempty"`
}

// PortSwitch is one port of a replica a start-first deploy moves: the new version starts on
// To while the old one serves on From; the balancers then send to To.
type PortSwitch struct {
	Index int    `json:"index"`
	Host  string `json:"host"`
	Port  string `json:"port"`
	From  int    `json:"from"`
	To    int    `json:"to"`
}

// StrategyFor decides a stack's update strategy and, when it is not the one asked for or
// has a cost, why. Start-first needs a balancer to switch and a stack that can run twice on
// one host; without them a single replica falls back to all-at-once (stop-first) and a
// larger stack to rolling. It is pure, and needs no replica: the engine also asks it which
// stacks keep standby ports.
func StrategyFor(req RolloutRequest) (Strategy, string) {
	balanced := len(req.Balancers) > 0
	why := req.Beside
	if !balanced {
		why = "no balancer routes to it"
	}
	switch req.Policy.Strategy {
	case "":
		switch {
		case req.Replicas >= 2:
			return Rolling, ""
		case why == "":
			return StartFirst, ""
		}
		return AllAtOnce, "a single replica is stopped while it is recreated; not start-first: " + why
	case StartFirst:
		switch {
		case why == "":
			return StartFirst, ""
		case req.Replicas >= 2:
			return Rolling, "start-first falls back to stop-first: " + why
		}
		return AllAtOnce, "start-first falls back to stop-first, the replica is stopped while it is recreated: " + why
	}
	return req.Policy.Strategy, ""
}

// PlanRollout decides how a stack's replicas are updated. It is pure: same request, same
// rollout. Replicas are batched in index order, so that the plan reads like the run.
func PlanRollout(req RolloutRequest) Rollout {
	ro := Rollout{Stack: req.Stack}
	ro.Strategy, ro.Note = StrategyFor(req)
	if len(req.Recreate) == 0 || ro.Strategy == AllAtOnce {
		return ro
	}
	ro.Balancers = append([]string(nil), req.Balancers...)
	sort.Strings(ro.Balancers)
	if ro.Strategy == StartFirst {
		return planStartFirst(req, ro)
	}
	ro.Drain = len(ro.Balancers) > 0
	if ro.Drain {
		ro.Timeout = req.Policy.DrainTimeout
		if ro.Timeout <= 0 {
			ro.Timeout = DefaultDrainTimeout
		}
	}
	reps := sortedRefs(req.Recreate)
	n := max(req.Policy.Parallel, 1)
	for len(reps) > 0 {
		k := min(n, len(reps))
		ro.Batches = append(ro.Batches, reps[:k:k])
		reps = reps[k:]
	}
	ro.ReturnBatch = req.Returnable && len(ro.Batches[0]) > 1
	if n >= req.Replicas && ro.Drain {
		ro.Note = fmt.Sprintf("parallel = %d takes every replica out of the balancers at once", n)
	}
	return ro
}

// planStartFirst puts each replica to recreate in a batch of its own, in index order, and
// moves each of its automatic ports to its standby port. A replica without standby ports
// (a placement that could not find a second free port) makes the whole stack stop-first.
func planStartFirst(req RolloutRequest, ro Rollout) Rollout {
	reps := sortedRefs(req.Recreate)
	var sw []PortSwitch
	for _, ref := range reps {
		i := slices.IndexFunc(req.Placed, func(r Replica) bool { return r.Index == ref.Index && r.Host == ref.Host })
		if i < 0 || len(req.Placed[i].Standby) == 0 || len(req.Placed[i].Standby) != len(req.Placed[i].Ports) {
			return Rollout{Stack: ro.Stack, Strategy: AllAtOnce, Note: fmt.Sprintf("start-first falls back to stop-first: replica %d on %s has no standby port", ref.Index, ref.Host)}
		}
		r := req.Placed[i]
		for _, name := range sortedKeys(r.Ports) {
			sw = append(sw, PortSwitch{Index: r.Index, Host: r.Host, Port: name, From: r.Ports[name], To: r.Standby[name]})
		}
		ro.Batches = append(ro.Batches, []ReplicaRef{ref})
	}
	ro.Switches = sw
	return ro
}

func sortedRefs(in []ReplicaRef) []ReplicaRef {
	reps := append([]ReplicaRef(nil), in...)
	sort.Slice(reps, func(i, j int) bool {
		return reps[i].Index < reps[j].Index || reps[i].Index == reps[j].Index && reps[i].Host < reps[j].Host
	})
	return reps
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
		switch {
		case ro.ReturnBatch:
			b.WriteString("; a failed batch is rolled back as a whole")
		case len(ro.Batches[0]) > 1:
			b.WriteString("; the replicas of a failed batch that turned healthy keep the new version")
		}
	}
	if ro.Strategy == StartFirst && len(ro.Batches) > 0 {
		word, verb := "balancer", "switches"
		if len(ro.Balancers) > 1 {
			word, verb = "balancers", "switch"
		}
		fmt.Fprintf(&b, ", the new version starts beside the running one, then %s %s %s to it and the old one stops", word, strings.Join(ro.Balancers, ", "), verb)
	}
	if ro.Note != "" {
		fmt.Fprintf(&b, " (%s)", ro.Note)
	}
	for i, batch := range ro.Batches {
		var reps []string
		for _, r := range batch {
			rep := fmt.Sprintf("replica %d on %s", r.Index, r.Host)
			for _, sw := range ro.Switches {
				if sw.Index == r.Index && sw.Host == r.Host {
					rep += fmt.Sprintf(", port %s %d -> %d", sw.Port, sw.From, sw.To)
				}
			}
			reps = append(reps, rep)
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
