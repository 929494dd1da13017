package provisioner

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// moveInventory: stack web, one replica on a (the placement file says so), a drained: the
// scheduler moves it to b or c.
func moveInventory() (*inventory.Inventory, schedule.Assignment) {
	inv := testInventory("a", "b", "c")
	for _, h := range inv.Hosts {
		h.PortRange = inventory.PortRange{From: 20000, To: 20099}
	}
	inv.Host("a").Drain = true
	inv.Stacks = []*inventory.Stack{{Name: "web", Replicas: 1, Root: "/srv/berth",
		Place: inventory.Place{Hosts: []string{"a", "b", "c"}}, Ports: []inventory.Port{{Name: "http", Container: 8080}}}}
	current := schedule.Assignment{Stacks: []schedule.StackPlacement{{Name: "web", Replicas: []schedule.Replica{
		{Index: 0, Host: "a", Ports: map[string]int{"http": 20000}, Status: schedule.Kept}}}}}
	return inv, current
}

// moveEngine builds, from the placement, the stack's deploy where a replica is placed anew and
// its removal where one leaves; fail makes the deploy fail.
func moveEngine(inv *inventory.Inventory, current schedule.Assignment, log *[]string, fail bool) *Engine {
	var mu sync.Mutex
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b"), "c": newDebianHost("c")}
	e := testEngine(inv, fakes)
	e.Current = current
	e.Build = func(inv *inventory.Inventory, h *inventory.Host, _ *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		var rs []modules.Resource
		for _, r := range StackRemovals(inv, h.Name, a) {
			rs = append(rs, &orderRes{addr: r.Address(), phase: modules.PhaseTeardown, log: log, mu: &mu, stack: "web"})
		}
		for _, r := range a.Stack("web").Replicas {
			if r.Host == h.Name && r.Status == schedule.Moved {
				rs = append(rs, &orderRes{addr: "stack.web", log: log, mu: &mu, stack: "web", fail: fail})
			}
		}
		return rs, nil
	}
	return e
}

func realizedHost(s *Session) string {
	return schedule.NewPlacementFile(s.Realized()).Stacks["web"].Replicas[0].Host
}

// berth apply -l a, when the replica on a should move to a host outside the run: a keeps it
// (no removal is planned), the plan says why, and the placement file still says a.
func TestAMoveOutsideTheRunIsHeld(t *testing.T) {
	inv, current := moveInventory()
	var log []string
	e := moveEngine(inv, current, &log, false)
	ctx := context.Background()
	s := e.Plan(ctx, []string{"a"}, false)
	r := s.Plan.Placement.Stack("web").Replicas[0]
	if r.Status != schedule.Held || r.Host != "a" || r.To == "" || !strings.Contains(r.Reason, "is not in this run") {
		t.Fatalf("placement: %+v", r)
	}
	if c := s.Plan.Count(); c.Total() != 0 {
		t.Fatalf("the limited plan changes something: %+v", s.Plan.Host("a").Changes)
	}
	e.Apply(ctx, s)
	if got := realizedHost(s); got != "a" || len(log) != 0 {
		t.Fatalf("realized on %s after applying %v; want a and nothing applied", got, log)
	}
}

// With both hosts in the run the move happens: deployed on the new host, then removed from
// a, and the file says where it runs. When the new place fails, a keeps it (the removal is
// held) and the file still says a.
func TestAMoveIsRecordedOnlyOnceCarriedOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail bool
		want func(to string) string
	}{
		{"deploy succeeds", false, func(to string) string { return to }},
		{"deploy fails", true, func(string) string { return "a" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, current := moveInventory()
			var log []string
			e := moveEngine(inv, current, &log, tc.fail)
			ctx := context.Background()
			s := e.Plan(ctx, []string{"a", "b", "c"}, false)
			r := s.Plan.Placement.Stack("web").Replicas[0]
			if r.Status != schedule.Moved || r.From != "a" {
				t.Fatalf("placement: %+v", r)
			}
			if hp := s.Plan.Host("a"); len(hp.Changes) != 1 || !strings.Contains(hp.Changes[0].Address, "stack.web") {
				t.Fatalf("a: %+v", hp.Changes)
			}
			e.Apply(ctx, s)
			if removed := strings.Contains(strings.Join(log, " "), "a:stack.web"); removed == tc.fail {
				t.Errorf("applied %v: the removal from a must run only after the new place came up", log)
			}
			if got := realizedHost(s); got != tc.want(r.Host) {
				t.Fatalf("realized on %s, want %s (applied %v)", got, tc.want(r.Host), log)
			}
		})
	}
}

// A replica that moves is removed from its old host for that reason, not because its stack
// "is no longer in the inventory"; a stack that left the inventory says so.
func TestStackRemovalsSayWhy(t *testing.T) {
	inv, _ := moveInventory()
	a := schedule.Assignment{Stacks: []schedule.StackPlacement{
		{Name: "web", Replicas: []schedule.Replica{{Index: 0, Host: "c", Status: schedule.Moved, From: "a", Reason: "a: drained"}}},
		{Name: "old", Removed: []schedule.Replica{{Index: 0, Host: "a", Status: schedule.Removed, Reason: "stack removed"}}},
	}}
	var reasons []string
	for _, r := range StackRemovals(inv, "a", a) {
		for _, c := range r.Diff([]modules.ProbeResult{{Exists: true, Data: []byte(`{"dir":"/srv/berth/x"}`)}, {}}) {
			reasons = append(reasons, c.Reason)
		}
	}
	want := "replica 0 of stack web moves to c (a: drained) | stack old is no longer in the inventory"
	if got := strings.Join(reasons, " | "); got != want {
		t.Fatalf("reasons %q, want %q", got, want)
	}
}
