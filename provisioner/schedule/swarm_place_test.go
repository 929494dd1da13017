package schedule

import (
	"encoding/json"
	"strings"
	"testing"
)

func swarmStack(name string, hosts ...string) Stack {
	s := stack(name, 2, hosts...)
	s.Swarm = true
	return s
}

// A Swarm stack's automatic port is one number, free on every host of its place: a static
// replica kept with 20000 on h2 pushes it to 20001 on all three, and a new static replica
// elsewhere does not take it.
func TestSwarmPortIsCommonToItsHosts(t *testing.T) {
	cur := Assignment{Stacks: []StackPlacement{{Name: "api", Replicas: []Replica{{Index: 0, Host: "h2", Ports: map[string]int{"http": 20000}}}}}}
	req := Request{
		Hosts:   []Host{host("h1", "a"), host("h2", "b"), host("h3", "c")},
		Stacks:  []Stack{stack("api", 2, "h2", "h3"), swarmStack("web", "h1", "h2", "h3")},
		Current: cur,
	}
	a := mustPlace(t, req)
	if got := a.Stack("api").Replicas; got[0].Ports["http"] != 20000 || got[1].Host != "h3" || got[1].Ports["http"] != 20000 {
		t.Fatalf("api %+v", got)
	}
	sw := a.Stack("web").Swarm
	if sw == nil || sw.Ports["http"] != 20001 || strings.Join(sw.Hosts, ",") != "h1,h2,h3" || sw.Status != New {
		t.Fatalf("web swarm placement %+v", sw)
	}
	if len(a.Stack("web").Replicas) != 0 {
		t.Errorf("Swarm stack got static replicas: %+v", a.Stack("web").Replicas)
	}
}

// Ports in use on any host (facts) are avoided; a port in use on one host only is avoided
// on all of them.
func TestSwarmPortAvoidsUsedPortsOnAnyHost(t *testing.T) {
	h3 := host("h3", "c")
	h3.UsedPorts = []int{20000, 20001}
	a := mustPlace(t, Request{Hosts: []Host{host("h1", "a"), host("h2", "b"), h3}, Stacks: []Stack{swarmStack("web", "h1", "h2", "h3")}})
	if got := a.Stack("web").Swarm.Ports["http"]; got != 20002 {
		t.Errorf("http = %d, want 20002", got)
	}
}

// The port is sticky through the lock file: the same request with the written lock as
// current keeps it (even though the host now reports it in use: its own tasks), and a
// static stack added later does not take it on any host, nor does a host added to the
// Swarm stack's place move it while it is free there.
func TestSwarmPortSticksAcrossRuns(t *testing.T) {
	hosts := []Host{host("h1", "a"), host("h2", "b"), host("h3", "c")}
	first := mustPlace(t, Request{Hosts: hosts[:2], Stacks: []Stack{swarmStack("web", "h1", "h2")}})
	lf, err := NewPlacementFile(first).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParsePlacementFile("berth.lock.json", lf)
	if err != nil {
		t.Fatalf("%v\n%s", err, lf)
	}
	for i := range hosts[:2] {
		hosts[i].UsedPorts = []int{20000} // the stack's own tasks listen there
	}
	next := mustPlace(t, Request{Hosts: hosts, Current: parsed.Assignment(),
		Stacks: []Stack{stack("api", 3, "h1", "h2", "h3"), swarmStack("web", "h1", "h2", "h3")}})
	sw := next.Stack("web").Swarm
	if sw.Ports["http"] != 20000 || sw.Status != Kept || sw.Reason != "hosts: +h3" {
		t.Errorf("web %+v, want port 20000 kept with hosts: +h3", sw)
	}
	for _, r := range next.Stack("api").Replicas {
		if r.Ports["http"] == 20000 {
			t.Errorf("api replica %d on %s took the Swarm port", r.Index, r.Host)
		}
	}
	if !next.Changed() {
		t.Error("a Swarm stack gaining a host is a placement change")
	}
	again := mustPlace(t, Request{Hosts: hosts, Current: Assignment{Stacks: []StackPlacement{{Name: "web", Swarm: sw}}},
		Stacks: []Stack{swarmStack("web", "h1", "h2", "h3")}})
	if again.Changed() {
		t.Errorf("the same request again changed the placement: %+v", again.Stack("web").Swarm)
	}
}

// A stack switched to Swarm: its static replica is removed ("moves to Swarm") and keeps its
// port until then, so the Swarm stack takes another one. Switched back: the Swarm placement
// is removed, its port held meanwhile, and the new static replicas take others.
func TestSwarmSwitchBothWays(t *testing.T) {
	hosts := []Host{host("h1", "a"), host("h2", "b")}
	static := mustPlace(t, Request{Hosts: hosts, Stacks: []Stack{stack("web", 1, "h1", "h2")}})
	toSwarm := mustPlace(t, Request{Hosts: hosts, Current: static, Stacks: []Stack{swarmStack("web", "h1", "h2")}})
	sp := toSwarm.Stack("web")
	if len(sp.Removed) != 1 || sp.Removed[0].Reason != "stack moves to Swarm" {
		t.Fatalf("removed %+v", sp.Removed)
	}
	if sp.Swarm == nil || sp.Swarm.Ports["http"] == sp.Removed[0].Ports["http"] {
		t.Fatalf("swarm %+v shares the leaving replica's port", sp.Swarm)
	}
	swarmed := Assignment{Stacks: []StackPlacement{{Name: "web", Swarm: sp.Swarm}}}
	back := mustPlace(t, Request{Hosts: hosts, Current: swarmed, Stacks: []Stack{stack("web", 2, "h1", "h2")}})
	bp := back.Stack("web")
	if bp.SwarmRemoved == nil || bp.SwarmRemoved.Reason != "stack web is static now" || bp.Swarm != nil {
		t.Fatalf("back to static: %+v", bp)
	}
	for _, r := range bp.Replicas {
		if r.Ports["http"] == sp.Swarm.Ports["http"] {
			t.Errorf("static replica %d took the port the Swarm stack still serves on", r.Index)
		}
	}
	gone := mustPlace(t, Request{Hosts: hosts, Current: swarmed})
	if g := gone.Stack("web"); g == nil || g.SwarmRemoved == nil || g.SwarmRemoved.Reason != "stack removed" {
		t.Errorf("a Swarm stack gone from the request: %+v", g)
	}
	if lf := NewPlacementFile(back); lf.Stacks["web"].Swarm != nil {
		t.Error("a removed Swarm placement is in the lock file")
	}
}

// Fixed ports: held on every host; another stack's fixed port on one of them is a problem.
func TestSwarmFixedPort(t *testing.T) {
	sw := swarmStack("web", "h1", "h2")
	sw.Ports = []Port{{Name: "http", Container: 8080, Host: 18080}, {Name: "admin", Container: 9000}}
	api := stack("api", 1, "h2")
	api.Ports = []Port{{Name: "http", Container: 80, Host: 18080}}
	_, probs := Place(Request{Hosts: []Host{host("h1", "a"), host("h2", "b")}, Stacks: []Stack{api, sw}})
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "h2: port 18080 taken by stack web (Swarm)") {
		t.Fatalf("problems %v", probs)
	}
	cur := Assignment{Stacks: []StackPlacement{{Name: "api", Replicas: []Replica{{Index: 0, Host: "h2", Ports: map[string]int{"http": 18080}}}}}}
	_, probs = Place(Request{Hosts: []Host{host("h1", "a"), host("h2", "b")}, Stacks: []Stack{api, sw}, Current: cur})
	if len(probs) != 1 || !strings.Contains(probs[0].Summary, "host port 18080 is taken by stack api on h2") {
		t.Fatalf("problems %v", probs)
	}
	a := mustPlace(t, Request{Hosts: []Host{host("h1", "a"), host("h2", "b")}, Stacks: []Stack{sw}})
	if p := a.Stack("web").Swarm.Ports; p["http"] != 18080 || p["admin"] != 20000 {
		t.Errorf("ports %v", p)
	}
}

// No number free on all hosts: a problem naming each host's range.
func TestSwarmNoCommonPort(t *testing.T) {
	h1, h2 := host("h1", "a"), host("h2", "b")
	h1.PortRange, h2.PortRange = PortRange{From: 20000, To: 20001}, PortRange{From: 20001, To: 20002}
	h2.UsedPorts = []int{20001}
	_, probs := Place(Request{Hosts: []Host{h1, h2}, Stacks: []Stack{swarmStack("web", "h1", "h2")}})
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "no host port is free on all of its hosts") || !strings.Contains(probs[0].Error(), "h2: range 20001-20002, 1 free") {
		t.Fatalf("problems %v", probs)
	}
}

// WithinRun keeps the Swarm placements, and holds a Swarm removal while a balancer routing
// to the stack is outside the run.
func TestSwarmWithinRun(t *testing.T) {
	a := Assignment{SwarmManager: "h2", Stacks: []StackPlacement{
		{Name: "web", Swarm: &SwarmPlacement{Hosts: []string{"h1"}, Ports: map[string]int{"http": 20000}, Status: New}},
		{Name: "old", SwarmRemoved: &SwarmPlacement{Hosts: []string{"h1"}, Ports: map[string]int{"http": 20001}, Status: Removed, Reason: "stack removed"}},
	}}
	all := func(string) bool { return true }
	out := WithinRun(a, Assignment{}, all, func(s string) string {
		if s == "old" {
			return "balancer edge on h9 is not in this run"
		}
		return ""
	})
	b, _ := json.Marshal(out)
	want := `{"stacks":[{"name":"web","replicas":null,"swarm":{"hosts":["h1"],"ports":{"http":20000},"status":"new"}},{"name":"old","replicas":null,"swarm":{"hosts":["h1"],"ports":{"http":20001},"status":"held","reason":"to be removed from the swarm (stack removed); it keeps running: balancer edge on h9 is not in this run"}}],"swarm_manager":"h2"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
