package provisioner

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/hosttest"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/hashicorp/hcl/v2"
)

// lbInventory: app hosts a1..a3, balancer host lb, stacks hello and api behind balancer edge.
func lbInventory() *inventory.Inventory {
	inv := &inventory.Inventory{}
	for _, h := range [][2]string{{"a1", "10.0.0.1"}, {"a2", "10.0.0.2"}, {"a3", ""}, {"lb", "10.0.0.9"}} {
		inv.Hosts = append(inv.Hosts, &inventory.Host{Name: h[0], Address: h[1]})
	}
	inv.Balancers = []*inventory.Balancer{{
		Name: "edge", Hosts: []string{"lb"},
		DeclRange: hcl.Range{Filename: "lb.hcl", Start: hcl.Pos{Line: 3, Column: 1}},
		Frontends: []inventory.Frontend{
			{Name: "web", Bind: ":8000", Stack: "hello", Port: "http"},
			{Name: "api", Bind: ":8001", Stack: "api", Port: "http"},
		},
	}}
	return inv
}

func lbAssignment() schedule.Assignment {
	return schedule.Assignment{Stacks: []schedule.StackPlacement{
		{Name: "api"}, // not placed yet
		{Name: "hello", Replicas: []schedule.Replica{
			{Index: 0, Host: "a1", Ports: map[string]int{"http": 20000}, Status: schedule.Kept},
			{Index: 1, Host: "a3", Ports: map[string]int{"http": 20001}, Status: schedule.Moved, From: "a2"},
			{Index: 2, Host: "gone", Ports: map[string]int{"http": 20000}},
		}, Removed: []schedule.Replica{{Index: 3, Host: "a2", Ports: map[string]int{"http": 20002}}}},
	}}
}

func addresses(rs []modules.Resource) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Address())
	}
	return strings.Join(out, " ")
}

// written applies the configuration resource of rs to an empty fake host and returns the file.
func written(t *testing.T, rs []modules.Resource) string {
	t.Helper()
	h := hosttest.New("lb")
	h.Reply("haproxy -c", "", 0)
	h.Reply("rm", "", 0)
	h.Reply("systemctl", "", 0)
	for _, r := range rs {
		if r.Address() != balancer.ConfigAddress {
			continue
		}
		obs, _ := h.Observe(context.Background(), r.Probes())
		for _, c := range r.Diff(obs) {
			if err := r.Apply(context.Background(), h, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := h.Files[balancer.ConfigPath]
	if f == nil {
		t.Fatal("no configuration written")
	}
	return string(f.Data)
}

func TestBalancerResourcesOnlyOnSelectedHosts(t *testing.T) {
	inv := lbInventory()
	if rs := lbResources(t, inv, inv.Host("a1"), lbAssignment()); len(rs) != 0 {
		t.Fatalf("app host got %s", addresses(rs))
	}
	rs := lbResources(t, inv, inv.Host("lb"), lbAssignment())
	if got := addresses(rs); got != "package.haproxy balancer.haproxy.cfg service.haproxy" {
		t.Fatalf("resources: %s", got)
	}
	svc, ok := rs[2].(modules.Dependent)
	if !ok || len(svc.DependsOn()) != 0 {
		t.Fatal("the service must not restart on configuration changes: the configuration reloads")
	}
	if p, ok := rs[1].(modules.Phased); !ok || p.Phase() != modules.PhaseBalance {
		t.Fatal("the configuration must apply in the balance phase")
	}
}

func TestBalancerBackendsFollowPlacements(t *testing.T) {
	inv := lbInventory()
	cfg := written(t, lbResources(t, inv, inv.Host("lb"), lbAssignment()))
	for _, want := range []string{
		"frontend web\n    bind :8000\n",
		"frontend api\n    bind :8001\n",
		"\nbackend api_http\n    mode http\n    balance roundrobin\n\nbackend hello_http\n",
		"    server hello-0 10.0.0.1:20000 check weight 100\n    server hello-1 a3:20001 check weight 100\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("configuration lacks %q:\n%s", want, cfg)
		}
	}
	for _, absent := range []string{"20002", "gone", "hello-2", "hello-3"} {
		if strings.Contains(cfg, absent) {
			t.Errorf("configuration holds %q (removed replica, or host gone):\n%s", absent, cfg)
		}
	}
}

func TestBalancerMovePlansServerChange(t *testing.T) {
	inv := lbInventory()
	before := lbAssignment()
	before.Stacks[1].Replicas[1] = schedule.Replica{Index: 1, Host: "a2", Ports: map[string]int{"http": 20001}}
	h := hosttest.New("lb")
	h.SetFile(balancer.ConfigPath, written(t, lbResources(t, inv, inv.Host("lb"), before)), 0o644)
	h.Files[balancer.ConfigPath].Mode = 0o644
	steps, err := Observe(context.Background(), h, lbResources(t, inv, inv.Host("lb"), lbAssignment()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range Changes(steps) {
		got = append(got, c.Address+": "+c.Reason)
	}
	want := "balancer.haproxy.cfg: backend hello_http: ~ hello-1 10.0.0.2:20001 -> a3:20001"
	if len(got) < 2 || got[1] != want { // then the package's and the service's: not installed on the fake
		t.Fatalf("changes:\n%s\nwant the configuration's: %s", strings.Join(got, "\n"), want)
	}
}

func TestBalancersShareOneHAProxy(t *testing.T) {
	inv := lbInventory()
	inv.Balancers = append(inv.Balancers, &inventory.Balancer{
		Name: "internal", Hosts: []string{"a1", "lb"},
		Frontends: []inventory.Frontend{{Name: "web", Bind: "10.0.0.9:9000", Stack: "hello", Port: "http"}},
	})
	rs := lbResources(t, inv, inv.Host("lb"), lbAssignment())
	if got := addresses(rs); got != "package.haproxy balancer.haproxy.cfg service.haproxy" {
		t.Fatalf("resources: %s", got)
	}
	cfg := written(t, rs)
	for _, want := range []string{"balancer edge:internal", "frontend edge.web\n", "frontend edge.api\n", "frontend internal.web\n    bind 10.0.0.9:9000\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("configuration lacks %q:\n%s", want, cfg)
		}
	}
	if n := strings.Count(cfg, "\nbackend hello_http\n"); n != 1 {
		t.Errorf("hello_http defined %d times", n)
	}
	if got := addresses(lbResources(t, inv, inv.Host("a1"), lbAssignment())); got != "package.haproxy balancer.haproxy.cfg service.haproxy" {
		t.Errorf("a1: %s", got)
	}
}

// A configuration that cannot be rendered is an error of the host's plan (exit 1), naming the
// balancer and where it is declared, never a change that plan would count as pending.
func TestBalancerRenderErrorFailsTheHostPlan(t *testing.T) {
	inv := lbInventory()
	inv.Balancers[0].Frontends[1].Bind = ":8000"
	rs, err := BalancerResources(inv, inv.Host("lb"), lbAssignment())
	if err == nil || rs != nil || !strings.Contains(err.Error(), `balancer "edge" (lb.hcl:3,1`) || !strings.Contains(err.Error(), `both bind ":8000"`) {
		t.Fatalf("resources %s, err %v", addresses(rs), err)
	}
	e := testEngine(inv, map[string]*debianHost{"lb": newDebianHost("lb")})
	sess := e.Plan(context.Background(), []string{"lb"}, false)
	hp := sess.Plan.Host("lb")
	if hp.Error == "" || !strings.Contains(hp.Error, `both bind ":8000"`) || len(hp.Changes) != 0 {
		t.Fatalf("host plan: %+v", hp)
	}
	if c := sess.Plan.Count(); c.Failed != 1 || c.Total() != 0 {
		t.Fatalf("counts: %+v", c)
	}
}

func lbResources(t *testing.T, inv *inventory.Inventory, h *inventory.Host, a schedule.Assignment) []modules.Resource {
	t.Helper()
	rs, err := BalancerResources(inv, h, a)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
