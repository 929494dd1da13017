package provisioner

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/schedule"
)

func placementInventory() *inventory.Inventory {
	inv := &inventory.Inventory{Defaults: inventory.Defaults{StackRoot: "/srv/berth"}}
	for _, n := range []string{"a", "b", "c"} {
		inv.Hosts = append(inv.Hosts, &inventory.Host{Name: n, Address: n, PortRange: inventory.PortRange{From: 20000, To: 20100}})
	}
	inv.Stacks = []*inventory.Stack{{Name: "web", Replicas: 1, Place: inventory.Place{Hosts: []string{"a", "b", "c"}},
		Ports: []inventory.Port{{Name: "http", Container: 8080}}}}
	return inv
}

func removals(inv *inventory.Inventory, a schedule.Assignment) string {
	var out []string
	for _, h := range inv.Hosts {
		for _, r := range StackRemovals(inv, h.Name, a) {
			out = append(out, h.Name+":"+r.Address())
		}
	}
	return strings.Join(out, " ")
}

func TestManifestsOnHostsCountAsCurrent(t *testing.T) {
	inv := placementInventory()
	lock := schedule.Assignment{Stacks: []schedule.StackPlacement{{Name: "web", Replicas: []schedule.Replica{
		{Index: 0, Host: "a", Ports: map[string]int{"http": 20000}, Status: schedule.Kept}}}}}
	// b runs web too (a lost lock file) and still runs "old", which left the inventory.
	deployed := map[string][]string{"a": {"web"}, "b": {"old", "web"}}
	a, diags := Place(inv, nil, WithDeployed(lock, deployed))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	web := a.Stack("web")
	if len(web.Replicas) != 1 || web.Replicas[0].Host != "a" || web.Replicas[0].Ports["http"] != 20000 {
		t.Fatalf("web placement: %+v", web)
	}
	if got := removals(inv, a); got != "b:stack.old b:stack.web" {
		t.Fatalf("removals: %q", got)
	}
	// Without the manifests, nothing would stop the strays on b.
	a2, _ := Place(inv, nil, lock)
	if got := removals(inv, a2); got != "" {
		t.Fatalf("removals from the lock file alone: %q", got)
	}
}

func TestManifestWithoutLockIsKeptWhereItRuns(t *testing.T) {
	inv := placementInventory()
	a, _ := Place(inv, nil, WithDeployed(schedule.Assignment{}, map[string][]string{"c": {"web"}}))
	if r := a.Stack("web").Replicas; len(r) != 1 || r[0].Host != "c" {
		t.Fatalf("a deployed replica moved: %+v", r)
	}
}
