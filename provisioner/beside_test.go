package provisioner

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/inventory"
)

// TestBesideBlock checks which stacks may start a new version beside the running one, and
// that only those behind a balancer hold standby ports.
func TestBesideBlock(t *testing.T) {
	web := func() *inventory.Stack {
		return &inventory.Stack{Name: "web", Replicas: 1, Ports: []inventory.Port{{Name: "http", Container: 8080}},
			Project: &types.Project{Services: types.Services{"web": {Name: "web"}}}}
	}
	fixed := web()
	fixed.Ports = append(fixed.Ports, inventory.Port{Name: "admin", Container: 9000, Host: 9000})
	vol := web()
	vol.Project.Volumes = types.Volumes{"data": {}, "shared": {External: true}}
	named := web()
	named.Project.Services["web"] = types.ServiceConfig{Name: "web", ContainerName: "web"}
	cases := []struct {
		s    *inventory.Stack
		want string
	}{
		{web(), ""},
		{fixed, "port admin has the fixed host port 9000"},
		{vol, "named volume data belongs to one compose project"},
		{named, "service web sets container_name"},
	}
	for _, c := range cases {
		if got := besideBlock(c.s); got != c.want {
			t.Errorf("besideBlock = %q, want %q", got, c.want)
		}
	}
	inv := &inventory.Inventory{Stacks: []*inventory.Stack{web()}}
	if keepsStandby(inv, inv.Stacks[0]) {
		t.Error("a stack no balancer routes to holds standby ports")
	}
	inv.Balancers = []*inventory.Balancer{{Name: "edge", Frontends: []inventory.Frontend{{Name: "web", Stack: "web", Port: "http"}}}}
	if !keepsStandby(inv, inv.Stacks[0]) {
		t.Error("a single replica behind a balancer holds no standby port")
	}
	inv.Stacks[0].Replicas = 2
	if keepsStandby(inv, inv.Stacks[0]) {
		t.Error("a stack of 2 replicas (rolling) holds standby ports")
	}
	inv.Stacks[0].Update.Strategy = "start-first"
	if !keepsStandby(inv, inv.Stacks[0]) {
		t.Error("a stack asking for start-first holds no standby port")
	}
}
