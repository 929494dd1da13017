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
		{Stack: "hello", Replicas: 3, Recreate: refs("h3", "h1", "h2"), Balancers: []string{"edge"}, Returnable: true},
		{Stack: "worker", Replicas: 3, Recreate: refs("h1", "h2", "h3")},
		{Stack: "api", Replicas: 5, Recreate: refs("h1", "h2", "h3", "h4", "h5"), Balancers: []string{"b", "a"},
			Policy: UpdatePolicy{Parallel: 2, DrainTimeout: 5 * time.Second}, Returnable: true},
		{Stack: "kept", Replicas: 4, Recreate: refs("h1", "h2", "h3", "h4"), Policy: UpdatePolicy{Parallel: 2}},
		{Stack: "single", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}, Placed: placed(1, "h1", 20000, 20001)},
		{Stack: "lonely", Replicas: 1, Recreate: refs("h1")},
		{Stack: "pinned", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}, Beside: "port http has the fixed host port 8080"},
		{Stack: "asked", Replicas: 2, Recreate: refs("h1", "h2"), Balancers: []string{"b", "a"}, Policy: UpdatePolicy{Strategy: StartFirst},
			Placed: append(placed(1, "h1", 20001, 20000), placed(2, "h2", 20000, 20002)...)},
		{Stack: "asked-alone", Replicas: 2, Recreate: refs("h1", "h2"), Policy: UpdatePolicy{Strategy: StartFirst}},
		{Stack: "asked-pinned", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Strategy: StartFirst}, Beside: "named volume data belongs to the compose project"},
		{Stack: "no-standby", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}, Placed: []Replica{{Index: 1, Host: "h1", Ports: map[string]int{"http": 20000}}}},
		{Stack: "stop-asked", Replicas: 1, Recreate: refs("h1"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Strategy: AllAtOnce}},
		{Stack: "bulk", Replicas: 2, Recreate: refs("h1", "h2"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Strategy: AllAtOnce}},
		{Stack: "wide", Replicas: 2, Recreate: refs("h1", "h2"), Balancers: []string{"edge"}, Policy: UpdatePolicy{Parallel: 2}, Returnable: true},
		{Stack: "grown", Replicas: 3, Recreate: refs("h1"), Balancers: []string{"edge"}},
	}
	var b strings.Builder
	for _, c := range cases {
		b.WriteString(PlanRollout(c).String())
		b.WriteString("\n")
	}
	golden(t, "rollout.golden", b.String())
}

func placed(index int, host string, port, standby int) []Replica {
	return []Replica{{Index: index, Host: host, Ports: map[string]int{"http": port}, Standby: map[string]int{"http": standby}}}
}

// TestStartBeside checks the placement after a start-first switch: the replica serves on
// its former standby port, keeps the port it left as its standby, and the plan says so.
func TestStartBeside(t *testing.T) {
	a := Assignment{Stacks: []StackPlacement{
		{Name: "other", Replicas: placed(0, "h1", 20005, 20006)},
		{Name: "web", Replicas: placed(0, "h1", 20000, 20001)},
	}}
	ro := PlanRollout(RolloutRequest{Stack: "web", Replicas: 1, Recreate: []ReplicaRef{{Index: 0, Host: "h1"}}, Balancers: []string{"edge"}, Placed: a.Stacks[1].Replicas})
	got := a.StartBeside(ro)
	r := got.Stack("web").Replicas[0]
	if r.Ports["http"] != 20001 || r.Standby["http"] != 20000 || !r.Beside || r.Reason != "start-first: port http: 20000 -> 20001" {
		t.Errorf("after the switch: %+v", r)
	}
	if a.Stacks[1].Replicas[0].Ports["http"] != 20000 {
		t.Errorf("StartBeside changed its input: %+v", a.Stacks[1].Replicas[0])
	}
	if o := got.Stack("other").Replicas[0]; o.Beside || o.Ports["http"] != 20005 {
		t.Errorf("another stack moved: %+v", o)
	}
	if back := NewPlacementFile(got).Assignment().StartBeside(PlanRollout(RolloutRequest{Stack: "web", Replicas: 1, Recreate: []ReplicaRef{{Index: 0, Host: "h1"}}, Balancers: []string{"edge"}, Placed: NewPlacementFile(got).Assignment().Stack("web").Replicas})); back.Stack("web").Replicas[0].Ports["http"] != 20000 {
		t.Errorf("the next deploy does not alternate back: %+v", back.Stack("web").Replicas[0])
	}
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
		for _, r := range rec {
			req.Placed = append(req.Placed, placed(r.Index, r.Host, 20000, 20001)...)
		}
		ro := PlanRollout(req)
		if again := PlanRollout(req); again.String() != ro.String() {
			t.Fatalf("not deterministic:\n%s\n%s", ro, again)
		}
		if replicas < 2 {
			want, batches := AllAtOnce, 0
			if len(req.Balancers) > 0 {
				want, batches = StartFirst, len(rec)
			}
			if ro.Strategy != want || len(ro.Batches) != batches || len(ro.Switches) != batches {
				t.Fatalf("a single replica (balancers %v): %s", req.Balancers, ro)
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
