package schedule

import (
	"reflect"
	"testing"
)

// A run that reaches only some hosts carries out only what happens on them: a move to a
// host outside it is held where the replica runs, a new replica there waits, a port change
// there waits, and everything on reached hosts is left as planned.
func TestWithinRun(t *testing.T) {
	current := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "h1", Ports: map[string]int{"http": 20000}, Status: Kept},
		{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Kept},
		{Index: 2, Host: "h4", Ports: map[string]int{"http": 20000}, Status: Kept},
	}}}}
	planned := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "h3", Ports: map[string]int{"http": 20001}, Status: Moved, From: "h1", Reason: "h1: drained"},
		{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Kept},
		{Index: 2, Host: "h4", Ports: map[string]int{"http": 20002}, Status: Kept, Reason: "http 20000 -> 20002"},
		{Index: 3, Host: "h5", Ports: map[string]int{"http": 20000}, Status: New},
	}}}}
	reached := func(h string) bool { return h == "h1" || h == "h2" }
	none := func(string) string { return "" }
	got := WithinRun(planned, current, reached, none).Stacks[0]
	want := StackPlacement{Name: "web",
		Replicas: []Replica{
			{Index: 0, Host: "h1", Ports: map[string]int{"http": 20000}, Status: Held, To: "h3",
				Reason: "should move to h3 (h1: drained); h3 is not in this run, so it stays on h1: apply with both hosts to move it"},
			{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Kept},
			{Index: 2, Host: "h4", Ports: map[string]int{"http": 20000}, Status: Kept, Reason: "port change waits: h4 is not in this run"},
		},
		Deferred: []Replica{{Index: 3, Host: "h5", Ports: map[string]int{"http": 20000}, Status: New, Reason: "not started: h5 is not in this run"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if lf := NewPlacementFile(WithinRun(planned, current, reached, none)); lf.Stacks["web"].Replicas[0].Host != "h1" || len(lf.Stacks["web"].Replicas) != 3 {
		t.Errorf("the placement file of the held run: %+v (a held replica stays on h1, a deferred one is not recorded)", lf)
	}
	all := WithinRun(planned, current, func(string) bool { return true }, none)
	if !reflect.DeepEqual(all, planned) {
		t.Errorf("a run that reaches every host changed the plan:\n%+v", all)
	}
}

// When a balancer routing to the stack is outside the run, it would keep sending requests to
// a replica that stops: the stack's moves are held and its removals wait, on every host.
func TestWithinRunHoldsTeardownsABalancerOutsideTheRunStillUses(t *testing.T) {
	current := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "h1", Ports: map[string]int{"http": 20000}, Status: Kept},
		{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Kept},
	}}}}
	planned := Assignment{Stacks: []StackPlacement{{Name: "web",
		Replicas: []Replica{{Index: 0, Host: "h3", Ports: map[string]int{"http": 20001}, Status: Moved, From: "h1", Reason: "h1: drained"}},
		Removed:  []Replica{{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Removed, Reason: "replicas is now 1"}},
	}}}
	why := "balancer edge on lb is not in this run"
	got := WithinRun(planned, current, func(string) bool { return true }, func(string) string { return why }).Stacks[0]
	want := StackPlacement{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "h1", Ports: map[string]int{"http": 20000}, Status: Held, To: "h3", Reason: "should move to h3 (h1: drained); it stays on h1: " + why},
		{Index: 1, Host: "h2", Ports: map[string]int{"http": 20000}, Status: Held, Reason: "to be removed (replicas is now 1); it keeps running: " + why},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
