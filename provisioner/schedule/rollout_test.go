package schedule

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func refs(hosts ...string) []ReplicaRef {
	var out []ReplicaRef
	for i, h := range hosts {
		out = append(out, ReplicaRef{Index: i + 1, Host: h})
	}
	return out
}

// TestRolloutGolden shows the plan text of the rollouts that matter: the defaults with and
// without a balancer, a batch size, a single replica, and an update asking for all at once.
func TestRolloutGolden(t *testing.T) {
	cases := []RolloutRequest{
		{Stack: "hello", Replicas: 3, Recreate: refs("h3", "h1", "h2"), Balancers: []string{"edge"}},
		{Stack: "worker", Replicas: 3, Recreate: refs("h1", "h2", "h3")},
		{Stack: "api", Replicas: 5, Recreate: refs("h1", "h2", "h3", "h4", "h5"), Balancers: []string{"b", "a"},
			Policy: UpdatePolicy{Parallel: 2, DrainTimeout: 5 * time.Second}},
		{Stack: "single", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}},
		{Stack: "bulk", Replicas: 2, Recreate: refs("h1", "h2"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Strategy: AllAtOnce}},
		{Stack: "wide", Replicas: 2, Recreate: refs("h1", "h2"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Parallel: 2}},
		{Stack: "grown", Replicas: 3, Recreate: refs("h1"), Balancers: []string{"edge"}},
	}
	var b strings.Builder
	for _, c := range cases {
		b.WriteString(PlanRollout(c).String())
		b.WriteString("\n")
	}
	golden(t, "rollout.golden", b.String())
}

// TestRolloutProperties checks, over random requests, what every rolling plan promises: each
// replica to recreate is in exactly one batch, batches are at most Parallel wide and in index
// order, a balancer means a drain, and the same request gives the same rollout.
func TestRolloutProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 2000; i++ {
		replicas := 1 + rng.Intn(8)
		var rec []ReplicaRef
		for j := 1; j <= replicas; j++ {
			if rng.Intn(3) > 0 {
				rec = append(rec, ReplicaRef{Index: j, Host: string(rune('a' + rng.Intn(5)))})
			}
		}
		rng.Shuffle(len(rec), func(a, b int) { rec[a], rec[b] = rec[b], rec[a] })
		req := RolloutRequest{Stack: "s", Replicas: replicas, Recreate: rec, Policy: UpdatePolicy{Parallel: rng.Intn(4)}}
		if rng.Intn(2) == 0 {
			req.Balancers = []string{"edge"}
		}
		ro := PlanRollout(req)
		if again := PlanRollout(req); again.String() != ro.String() {
			t.Fatalf("not deterministic:\n%s\n%s", ro, again)
		}
		if replicas < 2 {
			if ro.Strategy != AllAtOnce || len(ro.Batches) != 0 {
				t.Fatalf("a single replica rolls: %s", ro)
			}
			continue
		}
		if ro.Strategy != Rolling {
			t.Fatalf("default strategy with %d replicas is %s", replicas, ro.Strategy)
		}
		seen := map[int]bool{}
		last := 0
		for _, batch := range ro.Batches {
			if len(batch) == 0 || len(batch) > max(req.Policy.Parallel, 1) {
				t.Fatalf("batch of %d with parallel %d: %s", len(batch), req.Policy.Parallel, ro)
			}
			for _, r := range batch {
				if seen[r.Index] || r.Index < last {
					t.Fatalf("replica %d twice or out of order: %s", r.Index, ro)
				}
				seen[r.Index], last = true, r.Index
			}
		}
		if len(seen) != len(rec) {
			t.Fatalf("%d of %d replicas batched: %s", len(seen), len(rec), ro)
		}
		if ro.Drain != (len(req.Balancers) > 0 && len(rec) > 0) {
			t.Fatalf("drain %v with balancers %v: %s", ro.Drain, req.Balancers, ro)
		}
	}
}
