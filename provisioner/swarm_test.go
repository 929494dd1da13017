package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/swarm"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

const swarmInv = `
host "m1" {
  address = "10.0.0.1"
  labels  = { role = "app", zone = "a" }
}
host "w2" {
  address = "10.0.0.2"
  labels  = { role = "app", zone = "b" }
  drain   = true
}
host "w3" {
  address = "10.0.0.3"
  labels  = { role = "db", zone = "b" }
}
host "lb" {
  address = "10.0.0.9"
}
swarm {
  hosts = ["m1", "w2", "w3"]
}
stack "web" {
  compose = "web"
  mode    = "swarm"
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
    host      = 8080
  }
}
stack "static" {
  compose = "web"
  place {
    hosts = "role=db"
  }
  port "http" {
    container = 8080
  }
}
balancer "edge" {
  hosts = "lb"
  frontend "web" {
    bind  = ":80"
    stack = "web"
    port  = "http"
  }
}
`

func loadSwarmInv(t *testing.T) *inventory.Inventory {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "web"), 0o755)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(swarmInv), 0o644)
	os.WriteFile(filepath.Join(dir, "web", "compose.yaml"), []byte("services:\n  web:\n    image: reg/web:1\n    expose: [\"8080\"]\n"), 0o644)
	inv, diags := inventory.Load(dir, inventory.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return inv
}

// The leader gets the swarm's node, nodes, stacks and status; another swarm host its
// membership alone; a host outside the swarm nothing of it.
func TestSwarmResourcesByHost(t *testing.T) {
	inv := loadSwarmInv(t)
	build := NewBuilder(BuildOptions{Operator: "test"})
	f := &facts.Facts{}
	want := map[string]string{"m1": "swarm.node swarm.nodes swarm.stack.web swarm.status", "w2": "swarm.node", "lb": ""}
	for host, w := range want {
		rs, err := build(inv, inv.Host(host), f, schedule.Assignment{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			if strings.HasPrefix(r.Address(), "swarm.") {
				got = append(got, r.Address())
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s: %q, want %q", host, strings.Join(got, " "), w)
		}
	}
}

// Node labels are the host's plus berth.stack.NAME where the stack is placed; drain follows
// the host's.
func TestSwarmMembers(t *testing.T) {
	var got []string
	for _, m := range SwarmMembers(loadSwarmInv(t), schedule.Assignment{}) {
		got = append(got, m.Host+" "+m.Address+" "+swarmSummary(m))
	}
	want := "m1 10.0.0.1 active berth.stack.web=true role=app zone=a\n" +
		"w2 10.0.0.2 drain berth.stack.web=true role=app zone=b\n" +
		"w3 10.0.0.3 active role=db zone=b"
	if strings.Join(got, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func swarmSummary(m swarm.Member) string {
	s := "active"
	if m.Drain {
		s = "drain"
	}
	for _, k := range []string{"berth.stack.web", "role", "zone"} {
		if v, ok := m.Labels[k]; ok {
			s += " " + k + "=" + v
		}
	}
	return s
}

// A Swarm stack's replicas are not placed by the scheduler, only its ports; a balancer
// routes to every node it may run on, at its host port.
func TestSwarmStackPlacementAndBalancer(t *testing.T) {
	inv := loadSwarmInv(t)
	for _, s := range PlacementRequest(inv, nil, schedule.Assignment{}).Stacks {
		if s.Name == "web" && (!s.Swarm || strings.Join(s.Hosts, ",") != "m1,w2") {
			t.Errorf("the scheduler's Swarm stack: %+v", s)
		}
	}
	cfg := BalancerConfig(inv, inv.Balancers, schedule.Assignment{})
	var got []string
	for _, s := range cfg.Backends[0].Servers {
		got = append(got, s.Address+":"+strconv.Itoa(s.Port))
	}
	if strings.Join(got, " ") != "10.0.0.1:8080 10.0.0.2:8080" {
		t.Errorf("servers %v", got)
	}
	if !cfg.Backends[0].RetryIdempotent {
		t.Error("the Swarm stack's backend does not retry requests a stopped task dropped")
	}
}

// A stack that moved from static to Swarm stops its static replicas saying so.
func TestStackMovingToSwarmIsRemovedWithItsReason(t *testing.T) {
	inv := loadSwarmInv(t)
	current := schedule.Assignment{Stacks: []schedule.StackPlacement{{Name: "web", Replicas: []schedule.Replica{{Index: 0, Host: "w3", Ports: map[string]int{"http": 20000}}}}}}
	a, _ := Place(inv, nil, current)
	rs := StackRemovals(inv, "w3", a)
	if len(rs) != 1 {
		t.Fatalf("removals on w3: %d", len(rs))
	}
	cs := rs[0].Diff([]modules.ProbeResult{{Exists: true, Data: []byte(`{"stack":"web"}`)}, {}})
	if len(cs) != 1 || !strings.Contains(cs[0].Reason, "stack web moves to Swarm") {
		t.Errorf("removal: %+v", cs)
	}
}

// validate reports a compose attribute docker stack deploy does not read at the stack.
func TestSwarmDiags(t *testing.T) {
	inv := loadSwarmInv(t)
	if d := SwarmDiags(inv); len(d) != 0 {
		t.Fatalf("clean inventory: %v", d)
	}
	inv.Stack("web").ComposeFile = []byte(`{"services":{"web":{"image":"x","platform":"linux/arm64"}}}`)
	d := SwarmDiags(inv)
	if len(d) != 1 || d[0].Summary != "Stack cannot run on Swarm" || !strings.Contains(d[0].Detail, `service web: "platform"`) || d[0].Subject.Filename != "main.hcl" {
		t.Errorf("diags: %v", d)
	}
}

func loadAutoSwarmInv(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv := loadSwarmInv(t)
	inv.Stack("web").Ports[0].Host = 0
	for _, name := range []string{"m1", "w2", "w3"} {
		inv.Host(name).PortRange = inventory.PortRange{From: 20000, To: 20099}
	}
	return inv
}

// A Swarm stack's port without host is numbered by the scheduler, the same on every node,
// apart from the static stack's ports; the stack file, the balancer and the plan use it.
func TestSwarmAutomaticPort(t *testing.T) {
	inv := loadAutoSwarmInv(t)
	fs := map[string]*facts.Facts{"w3": {Ports: []int{20000}}}
	a, diags := Place(inv, fs, schedule.Assignment{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sw := a.Stack("web").Swarm
	if sw == nil || sw.Ports["http"] != 20000 {
		t.Fatalf("web's Swarm placement: %+v", sw)
	}
	if got := a.Stack("static").Replicas[0].Ports["http"]; got != 20001 {
		t.Errorf("static replica on w3: port %d", got)
	}
	spec, err := SwarmStackSpec(inv.Stack("web"), swarmPorts(a, "web"))
	if err != nil || spec.Ports[0].Host != 20000 {
		t.Fatalf("spec ports %+v, %v", spec.Ports, err)
	}
	if _, err := SwarmStackSpec(inv.Stack("web"), nil); err == nil {
		t.Error("a Swarm stack without its port's number renders")
	}
	cfg := BalancerConfig(inv, inv.Balancers, a)
	if s := cfg.Backends[0].Servers; len(s) != 2 || s[0].Port != 20000 || s[1].Port != 20000 {
		t.Errorf("servers %+v", s)
	}
	if !strings.Contains(schedule.Table(a), "web     swarm    m1,w2  http=20000  new") {
		t.Errorf("table:\n%s", schedule.Table(a))
	}
}

// berth reaches the swarm through the first manager that answered and manages it; the
// first by name when none does (it forms the swarm). The manager's resources go there.
func TestSwarmManagerFailover(t *testing.T) {
	inv := loadSwarmInv(t)
	inv.Swarm.Managers = []string{"m1", "w2", "w3"}
	mgr := func(state string, manager bool) *facts.Facts {
		return &facts.Facts{Docker: facts.Docker{Swarm: state, SwarmManager: manager}}
	}
	for _, c := range []struct {
		fs   map[string]*facts.Facts
		want string
	}{
		{map[string]*facts.Facts{"m1": mgr("active", true), "w2": mgr("active", true)}, "m1"},
		{map[string]*facts.Facts{"w2": mgr("active", true), "w3": mgr("active", true)}, "w2"},
		{map[string]*facts.Facts{"m1": mgr("inactive", false), "w2": mgr("active", false), "w3": mgr("active", true)}, "w3"},
		{map[string]*facts.Facts{"w2": mgr("inactive", false)}, "m1"},
	} {
		if got := SwarmManager(inv, c.fs); got != c.want {
			t.Errorf("SwarmManager(%v) = %s, want %s", c.fs, got, c.want)
		}
	}
	build := NewBuilder(BuildOptions{Operator: "test"})
	a := schedule.Assignment{SwarmManager: "w2", Stacks: []schedule.StackPlacement{
		{Name: "old", SwarmRemoved: &schedule.SwarmPlacement{Hosts: []string{"m1"}, Reason: "stack old is static now"}},
	}}
	for host, want := range map[string]string{"m1": "swarm.node", "w2": "swarm.node swarm.nodes swarm.stack.web swarm.stack.old swarm.status"} {
		rs, err := build(inv, inv.Host(host), &facts.Facts{}, a)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			if strings.HasPrefix(r.Address(), "swarm.") {
				got = append(got, r.Address())
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %q, want %q", host, strings.Join(got, " "), want)
		}
	}
}

// A stack switched to Swarm whose Swarm deploy fails keeps its static replica and the
// balancer's configuration: the removal and the balancer change are held, as for a static
// replica that failed to come up.
func TestFailedSwarmDeployHoldsTheStaticRemoval(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b"), "c": newDebianHost("c")}
	e := testEngine(testInventory("a", "b", "c"), fakes)
	e.Build = func(_ *inventory.Inventory, h *inventory.Host, _ *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		switch h.Name {
		case "a": // the static replica leaving
			return []modules.Resource{&orderRes{addr: "stack.old", phase: modules.PhaseTeardown, log: &log, mu: &mu, stack: "old"}}, nil
		case "b":
			return []modules.Resource{&orderRes{addr: "balancer.cfg", phase: modules.PhaseBalance, log: &log, mu: &mu}}, nil
		}
		return []modules.Resource{&orderRes{addr: "swarm.stack.old", phase: modules.PhaseSwarmDeploy, log: &log, mu: &mu, fail: true, stack: "old"}}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a", "b", "c"}, false))
	if got := strings.Join(log, " "); got != "c:swarm.stack.old" {
		t.Fatalf("applied: %s (the static replica and the balancer must be held)", got)
	}
	for _, h := range sum.Hosts {
		if h.Host != "c" && !strings.Contains(h.Error, "held: ") {
			t.Errorf("%s: %s %s", h.Host, h.Outcome, h.Error)
		}
	}
}
