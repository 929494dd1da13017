package schedule

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func fleet() []Host {
	return []Host{host("app-1", "a"), host("app-2", "a"), host("app-3", "b"), host("app-4", "b")}
}

var all = []string{"app-1", "app-2", "app-3", "app-4"}

func TestPlaceSpreadsOverZones(t *testing.T) {
	a := mustPlace(t, Request{Hosts: fleet(), Stacks: []Stack{stack("web", 2, all...)}})
	got := where(a, "web")
	want := map[int]string{0: "app-1", 1: "app-3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("web placed on %v, want %v (one replica per zone, ties by name)", got, want)
	}
}

func TestPlaceLeastLoadedAfterSpread(t *testing.T) {
	hosts := fleet()
	hosts[0].Capacity.Memory = 16 * GiB // app-1 is emptier once a replica lands anywhere
	a := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{stack("a", 1, all...), stack("b", 1, all...), stack("c", 1, "app-1", "app-2")}})
	got := map[string]string{"a": where(a, "a")[0], "b": where(a, "b")[0], "c": where(a, "c")[0]}
	// a: every host at 1/4 CPU -> by name app-1. b: app-1 now at 2/4 CPU, others 1/4 -> app-2.
	// c: app-1 2/4, app-2 2/4 (cpu dominates) -> name -> app-1.
	want := map[string]string{"a": "app-1", "b": "app-2", "c": "app-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPlaceExplainsEveryHost(t *testing.T) {
	hosts := fleet()
	hosts[0].Drain = true
	hosts[1].Capacity.Memory = GiB + GiB/10 // 1.1 GiB
	hosts[2].UsedPorts = []int{8443}
	s := stack("web", 1, "app-1", "app-2", "app-3")
	s.Resources.Memory = 2 * GiB
	s.Ports = append(s.Ports, Port{Name: "tls", Container: 443, Host: 8443})
	other := stack("x", 1, "app-4")
	other.Ports = []Port{{Name: "tls", Container: 443, Host: 8443}}
	_, probs := Place(Request{Hosts: hosts, Stacks: []Stack{s, other}})
	if len(probs) != 1 {
		t.Fatalf("want one problem, got %v", probs)
	}
	want := `stack "web" replica 0 fits on no host
  app-1: drained
  app-2: needs 2 GiB memory, 1.1 GiB free
  app-3: port 8443 in use on the host
  app-4: not selected by place.hosts`
	if got := probs[0].Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if probs[0].Stack != "web" || probs[0].Replica != 0 {
		t.Errorf("problem names stack %q replica %d", probs[0].Stack, probs[0].Replica)
	}
}

func TestPlacePortTakenByStack(t *testing.T) {
	a := stack("a", 1, "app-1")
	a.Ports = []Port{{Name: "http", Container: 80, Host: 8080}}
	b := a
	b.Name = "b"
	_, probs := Place(Request{Hosts: fleet()[:1], Stacks: []Stack{a, b}})
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "app-1: port 8080 taken by stack a") {
		t.Fatalf("got %v", probs)
	}
}

func TestPlaceAutoPortsSkipUsedAndHeld(t *testing.T) {
	hosts := []Host{host("app-1", "a")}
	hosts[0].UsedPorts = []int{20000, 20002, 22}
	s := stack("a", 1, "app-1")
	s.Ports = []Port{{Name: "http", Container: 80}, {Name: "admin", Container: 81}, {Name: "fixed", Container: 82, Host: 20001}}
	t2 := stack("b", 1, "app-1")
	a := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{s, t2}})
	if got, want := a.Stack("a").Replicas[0].Ports, map[string]int{"http": 20003, "admin": 20004, "fixed": 20001}; !reflect.DeepEqual(got, want) {
		t.Errorf("stack a ports %v, want %v (ports in declaration order, lowest free)", got, want)
	}
	if got := a.Stack("b").Replicas[0].Ports["http"]; got != 20005 {
		t.Errorf("stack b http = %d, want 20005", got)
	}
}

func TestPlaceNoFreePort(t *testing.T) {
	hosts := []Host{host("app-1", "a")}
	hosts[0].PortRange = PortRange{From: 20000, To: 20001}
	hosts[0].UsedPorts = []int{20001}
	s := stack("a", 1, "app-1")
	s.Ports = append(s.Ports, Port{Name: "admin", Container: 81})
	_, probs := Place(Request{Hosts: hosts, Stacks: []Stack{s}})
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "app-1: needs 2 free ports in its range, 1 free") {
		t.Fatalf("got %v", probs)
	}
}

func TestPlaceDistinctHosts(t *testing.T) {
	_, probs := Place(Request{Hosts: fleet(), Stacks: []Stack{stack("web", 5, all...)}})
	if len(probs) != 1 || probs[0].Replica != 4 || !strings.Contains(probs[0].Error(), "app-1: already runs a replica of this stack") {
		t.Fatalf("got %v", probs)
	}
}

func TestPlaceCPUProblem(t *testing.T) {
	s := stack("big", 1, "app-1")
	s.Resources.CPUs = 4.5
	_, probs := Place(Request{Hosts: fleet(), Stacks: []Stack{s}})
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "app-1: needs 4.5 CPUs, 4 free") ||
		!strings.Contains(probs[0].Error(), "3 other hosts: not selected by place.hosts") {
		t.Fatalf("got %v", probs)
	}
}

func TestPlaceValidation(t *testing.T) {
	hosts := append(fleet(), host("app-1", "z"))
	hosts[1].PortRange = PortRange{From: 30000, To: 20000}
	dupPort := stack("dup", 1, all...)
	dupPort.Ports = []Port{{Name: "a", Container: 1, Host: 9000}, {Name: "b", Container: 2, Host: 9000}}
	unknown := stack("ghost", 1, "app-9")
	_, probs := Place(Request{Hosts: hosts, Stacks: []Stack{dupPort, unknown, stack("web", 1, all...), stack("web", 1)}})
	var got []string
	for _, p := range probs {
		got = append(got, p.Error())
	}
	want := []string{
		`host "app-1": declared twice; the first declaration is used`,
		`host "app-2": port range 30000-20000 is not within 1-65535 or is reversed`,
		`stack "dup": ports "a" and "b" both ask for host port 9000`,
		`stack "ghost": place.hosts names unknown host "app-9"`,
		`stack "web": declared twice; the first declaration is used`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlaceKeepsCurrent(t *testing.T) {
	cur := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "app-4", Ports: map[string]int{"http": 20042}},
		{Index: 1, Host: "app-2", Ports: map[string]int{"http": 20007}},
	}}}}
	a := mustPlace(t, Request{Hosts: fleet(), Stacks: []Stack{stack("web", 2, all...)}, Current: cur})
	for i, r := range a.Stack("web").Replicas {
		c := cur.Stacks[0].Replicas[i]
		if r.Host != c.Host || !reflect.DeepEqual(r.Ports, c.Ports) || r.Status != Kept || r.Reason != "" {
			t.Errorf("replica %d: got %+v, want kept as %+v", i, r, c)
		}
	}
	if a.Changed() {
		t.Error("Changed() = true for an unchanged assignment")
	}
}

func TestPlaceDrainMovesOnlyDrained(t *testing.T) {
	req := Request{Hosts: fleet(), Stacks: []Stack{stack("web", 2, all...), stack("api", 2, all...)}}
	first := mustPlace(t, req)
	req.Current = first
	req.Hosts[0].Drain = true
	second := mustPlace(t, req)
	moved := 0
	for _, name := range []string{"api", "web"} {
		for i, r := range second.Stack(name).Replicas {
			before := first.Stack(name).Replicas[i]
			switch {
			case before.Host != "app-1" && (r.Status != Kept || r.Host != before.Host):
				t.Errorf("%s replica %d: %+v, want kept on %s", name, i, r, before.Host)
			case before.Host == "app-1" && (r.Status != Moved || r.From != "app-1" || r.Host != "app-2" || r.Reason != "app-1: drained"):
				t.Errorf("%s replica %d: %+v, want moved from app-1 to app-2 (zone a)", name, i, r)
			case before.Host == "app-1":
				moved++
			}
		}
	}
	if moved != 1 {
		t.Errorf("%d replicas moved, want 1 (app-1 ran one replica)", moved)
	}
}

func TestPlaceMovedKeepsPortNumber(t *testing.T) {
	req := Request{Hosts: fleet()[:2], Stacks: []Stack{stack("web", 1, all[:2]...)}}
	req.Hosts[1].UsedPorts = []int{20001}
	req.Current = Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20002}}}}}}
	req.Hosts[0].Drain = true
	a := mustPlace(t, req)
	if r := a.Stack("web").Replicas[0]; r.Host != "app-2" || r.Ports["http"] != 20002 {
		t.Errorf("got %+v, want app-2 with http=20002", r)
	}
}

func TestPlaceScaleDownDropsHighest(t *testing.T) {
	req := Request{Hosts: fleet(), Stacks: []Stack{stack("web", 3, all...)}}
	first := mustPlace(t, req)
	req.Current, req.Stacks[0].Replicas = first, 1
	second := mustPlace(t, req)
	s := second.Stack("web")
	if len(s.Replicas) != 1 || s.Replicas[0].Status != Kept || len(s.Removed) != 2 || s.Removed[0].Index != 1 || s.Removed[1].Index != 2 {
		t.Fatalf("got %+v", s)
	}
	if s.Removed[0].Reason != "replicas is now 1" {
		t.Errorf("reason %q", s.Removed[0].Reason)
	}
}

func TestPlaceRemovedStack(t *testing.T) {
	cur := Assignment{Stacks: []StackPlacement{{Name: "old", Replicas: []Replica{{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20000}}}}}}
	a := mustPlace(t, Request{Hosts: fleet(), Stacks: []Stack{stack("web", 1, "app-1")}, Current: cur})
	old := a.Stack("old")
	if old == nil || len(old.Replicas) != 0 || len(old.Removed) != 1 || old.Removed[0].Reason != "stack removed" {
		t.Fatalf("old: %+v", old)
	}
	// The leaving replica still holds its port during this run.
	if got := a.Stack("web").Replicas[0].Ports["http"]; got != 20001 {
		t.Errorf("web http = %d, want 20001 (20000 is still held by the leaving stack)", got)
	}
}

func TestPlaceKeptPortChanges(t *testing.T) {
	cur := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{
		{Index: 0, Host: "app-1", Ports: map[string]int{"http": 10, "gone": 20001}},
	}}}}
	s := stack("web", 1, "app-1")
	s.Ports = append(s.Ports, Port{Name: "admin", Container: 81, Host: 9000})
	a := mustPlace(t, Request{Hosts: fleet(), Stacks: []Stack{s}, Current: cur})
	r := a.Stack("web").Replicas[0]
	want := "port admin: new; port gone: removed; port http: 10 -> 20000"
	if r.Status != Kept || r.Reason != want {
		t.Errorf("got %s %q, want kept %q (10 is outside the range)", r.Status, r.Reason, want)
	}
}

func TestPlaceFixedPortConflictMoves(t *testing.T) {
	// Current lock says web holds 8080 on app-1; now the port is fixed to 9090, which a
	// process outside berth uses on app-1: the replica must move.
	hosts := fleet()
	hosts[0].UsedPorts = []int{9090}
	cur := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{{Index: 0, Host: "app-1", Ports: map[string]int{"http": 8080}}}}}}
	s := stack("web", 1, all...)
	s.Ports[0].Host = 9090
	a := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{s}, Current: cur})
	r := a.Stack("web").Replicas[0]
	if r.Status != Moved || r.Host != "app-2" || r.Reason != "app-1: port 9090 in use on the host" {
		t.Errorf("got %+v", r)
	}
}

func TestPlaceFactsAttributedToCurrentStack(t *testing.T) {
	// The host reports the stack's own published port in use: it stays.
	hosts := fleet()
	hosts[0].UsedPorts = []int{20000, 8080}
	cur := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20000, "fixed": 8080}}}}}}
	s := stack("web", 1, all...)
	s.Ports = append(s.Ports, Port{Name: "fixed", Container: 80, Host: 8080})
	a := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{s}, Current: cur})
	if r := a.Stack("web").Replicas[0]; r.Status != Kept || r.Reason != "" {
		t.Errorf("got %+v", r)
	}
}

func TestPlaceZeroCapacityIsUnlimited(t *testing.T) {
	hosts := fleet()
	for i := range hosts {
		hosts[i].Capacity = Resources{}
	}
	a := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{stack("a", 1, all...), stack("b", 1, all...), stack("c", 1, all...)}})
	got := []string{where(a, "a")[0], where(a, "b")[0], where(a, "c")[0]}
	if want := []string{"app-1", "app-2", "app-3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (fewest replicas breaks load ties)", got, want)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 512: "512 B", 1536: "1.5 KiB", 2 * GiB: "2 GiB", GiB + GiB/10: "1.1 GiB", 1<<40 + 1<<39: "1.5 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProblemFoldsLongLists(t *testing.T) {
	var hosts []Host
	var names []string
	for i := range 30 {
		h := host(fmt.Sprintf("h%02d", i), "a")
		h.Drain = i < 25
		hosts = append(hosts, h)
		if i < 26 {
			names = append(names, h.Name)
		}
	}
	s := stack("web", 1, names...)
	s.Resources.Memory = 9 * GiB
	_, probs := Place(Request{Hosts: hosts, Stacks: []Stack{s}})
	if len(probs) != 1 || len(probs[0].Hosts) != 30 {
		t.Fatalf("got %v", probs)
	}
	got := probs[0].Error()
	for _, want := range []string{"\n  h00: drained\n", "\n  h19: drained\n  ... and 6 more hosts\n  4 other hosts: not selected by place.hosts"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "h20") || strings.Count(got, "\n") != 22 {
		t.Errorf("want the summary, 20 hosts and 2 folded lines:\n%s", got)
	}
}

func TestProblemMovedReplicaFitsNowhere(t *testing.T) {
	hosts := fleet()[:1]
	cur := Assignment{Stacks: []StackPlacement{{Name: "web", Replicas: []Replica{{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20000}}}}}}
	hosts[0].Drain = true
	a, probs := Place(Request{Hosts: hosts, Stacks: []Stack{stack("web", 1, "app-1")}, Current: cur})
	want := "stack \"web\" replica 0 fits on no host (it must leave app-1: drained)\n  app-1: drained"
	if len(probs) != 1 || probs[0].Error() != want {
		t.Fatalf("got %v, want %q", probs, want)
	}
	if len(a.Stack("web").Replicas) != 0 {
		t.Errorf("a replica that fits nowhere is not placed: %+v", a.Stack("web"))
	}
}
