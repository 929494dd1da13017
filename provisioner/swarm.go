package provisioner

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/swarm"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/hashicorp/hcl/v2"
)

// StackLabel is the node label berth sets on the nodes a Swarm stack may run on; the stack's
// services are constrained to it (a selector's hosts cannot be written as Swarm constraints,
// which only AND).
func StackLabel(stack string) string { return "berth.stack." + stack }

// SwarmManager is the manager a run reaches the swarm through: the first manager by name
// that answered this run and manages the swarm (docker info), so that a plan, drift or apply
// still works while the first manager is down (quorum holds with 3 managers of which 1 is
// down). When no manager answering is in the swarm (before it is formed), it is the first
// manager by name: only it ever forms the swarm. fs are the facts of the hosts that answered.
func SwarmManager(inv *inventory.Inventory, fs map[string]*facts.Facts) string {
	sw := inv.Swarm
	if sw == nil {
		return ""
	}
	for _, m := range sw.Managers {
		if f := fs[m]; f != nil && f.Docker.Swarm == "active" && f.Docker.SwarmManager {
			return m
		}
	}
	return sw.Leader()
}

// actingManager is the manager of placement a, the first by name when a does not say (a
// build ahead of the first look, see Engine.ahead).
func actingManager(inv *inventory.Inventory, a schedule.Assignment) string {
	if a.SwarmManager != "" && slices.Contains(inv.Swarm.Managers, a.SwarmManager) {
		return a.SwarmManager
	}
	return inv.Swarm.Leader()
}

// clusters hands out one swarm.Cluster per acting manager, shared by the hosts' builds of
// one run (the join tokens the manager observes reach the joining hosts through it).
type clusters struct {
	mu sync.Mutex
	m  map[string]*swarm.Cluster
}

func (c *clusters) get(inv *inventory.Inventory, manager string) *swarm.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*swarm.Cluster{}
	}
	if c.m[manager] == nil {
		c.m[manager] = swarm.NewCluster(manager, serverAddress(inv.Host(manager)))
	}
	return c.m[manager]
}

// SwarmResources returns host h's part of the swarm: its membership on every swarm host;
// on the acting manager (see SwarmManager) also the nodes' labels and availability, the Swarm
// stacks, the removal of those no longer on Swarm and the nodes' status. A stack that cannot
// be rendered as a stack file fails the manager's plan.
func SwarmResources(inv *inventory.Inventory, h *inventory.Host, cs *clusters, a schedule.Assignment) ([]modules.Resource, error) {
	sw := inv.Swarm
	if sw == nil || !slices.Contains(sw.Hosts, h.Name) {
		return nil, nil
	}
	manager := actingManager(inv, a)
	c := cs.get(inv, manager)
	leader := manager == h.Name
	rs := []modules.Resource{swarm.NewNode(swarm.NodeSpec{
		Host: h.Name, Address: serverAddress(h), Manager: slices.Contains(sw.Managers, h.Name), Leader: leader,
	}, c)}
	if !leader {
		return rs, nil
	}
	members := SwarmMembers(inv, a)
	rs = append(rs, swarm.NewNodes(members))
	for _, s := range inv.SwarmStacks() {
		spec, err := SwarmStackSpec(s, swarmPorts(a, s.Name))
		if err == nil {
			var st *swarm.Stack
			if st, err = swarm.NewStack(spec); err == nil {
				rs = append(rs, st)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("stack %q (%s): %w", s.Name, s.DeclRange.String(), err)
		}
	}
	for _, sp := range a.Stacks {
		if r := sp.SwarmRemoved; r != nil {
			rs = append(rs, swarm.NewRemoval(sp.Name, r.Reason, StackLabel(sp.Name)))
		}
	}
	return append(rs, swarm.NewStatus(members)), nil
}

// swarmPorts are the host ports placement a gives a Swarm stack, nil when none.
func swarmPorts(a schedule.Assignment, stack string) map[string]int {
	if sp := a.Stack(stack); sp != nil && sp.Swarm != nil {
		return sp.Swarm.Ports
	}
	return nil
}

// SwarmMembers is what each swarm host's node must be under placement a: the host's labels
// and one label per Swarm stack placed on it, drained when the host is. A Swarm stack on its
// way out (SwarmRemoved, or held) keeps its label until its removal takes it off: without
// it, Swarm would stop the stack's tasks at once, before the balancers left them.
func SwarmMembers(inv *inventory.Inventory, a schedule.Assignment) []swarm.Member {
	placed := map[string][]string{} // stack -> the hosts its label goes on
	for _, s := range inv.SwarmStacks() {
		placed[s.Name] = s.Place.Hosts
	}
	for _, sp := range a.Stacks {
		switch {
		case sp.SwarmRemoved != nil:
			placed[sp.Name] = sp.SwarmRemoved.Hosts
		case sp.Swarm != nil && sp.Swarm.Status == schedule.Held:
			placed[sp.Name] = sp.Swarm.Hosts
		}
	}
	var out []swarm.Member
	for _, name := range inv.Swarm.Hosts {
		h := inv.Host(name)
		labels := maps.Clone(h.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		for stack, hosts := range placed {
			if slices.Contains(hosts, name) {
				labels[StackLabel(stack)] = "true"
			}
		}
		out = append(out, swarm.Member{Host: name, Address: serverAddress(h), Labels: labels, Drain: h.Drain,
			Manager: slices.Contains(inv.Swarm.Managers, name)})
	}
	return out
}

// SwarmStackSpec is the Swarm form of stack s, its automatic ports numbered by ports (the
// placement's, see schedule.SwarmPlacement): one without a number is an error.
func SwarmStackSpec(s *inventory.Stack, ports map[string]int) (swarm.StackSpec, error) {
	spec := swarm.StackSpec{
		Name: s.Name, Compose: s.ComposeFile, Env: s.Env, Replicas: s.Replicas,
		PlaceLabel: StackLabel(s.Name), Spread: s.Place.Spread,
		CPUs: s.Resources.CPUs, Memory: s.Resources.Memory,
		Strategy: s.Update.Strategy, Parallel: s.Update.Parallel, HealthTimeout: s.Health.Timeout,
	}
	for _, p := range s.Ports {
		host := p.Host
		if host == 0 {
			host = ports[p.Name]
		}
		if host == 0 {
			return spec, fmt.Errorf("port %q has no host port: the placement gave it none", p.Name)
		}
		spec.Ports = append(spec.Ports, swarm.Port{Name: p.Name, Service: p.Service, Container: p.Container, Host: host, Protocol: p.Protocol})
	}
	return spec, nil
}

// swarmServers are the balancer's servers for a Swarm stack's port: every node the stack may
// run on, at the port it publishes in host mode (placement a's). HAProxy's health checks take
// out the nodes that run no task of it right now, and put back those Swarm moves a task to.
func swarmServers(inv *inventory.Inventory, s *inventory.Stack, port string, a schedule.Assignment) []balancer.Server {
	var host int
	for _, p := range s.Ports {
		if p.Name == port {
			host = p.Host
		}
	}
	if host == 0 {
		host = swarmPorts(a, s.Name)[port]
	}
	if host == 0 {
		return nil
	}
	var out []balancer.Server
	for i, name := range s.Place.Hosts {
		out = append(out, balancer.Server{Name: balancer.ServerName(s.Name, i+1), Address: serverAddress(inv.Host(name)), Port: host})
	}
	return out
}

// SwarmDiags renders every Swarm stack's file, offline, so that validate reports a compose
// attribute docker stack deploy does not read at the stack's block rather than at plan time.
func SwarmDiags(inv *inventory.Inventory) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, s := range inv.SwarmStacks() {
		ports := map[string]int{}
		for _, p := range s.Ports {
			ports[p.Name] = 1 // the number does not matter to what the format accepts
		}
		spec, _ := SwarmStackSpec(s, ports)
		if _, err := swarm.Render(spec); err != nil {
			r := s.DeclRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stack cannot run on Swarm", Detail: err.Error() + ".", Subject: &r})
		}
	}
	return diags
}
