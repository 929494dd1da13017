package provisioner

import (
	"fmt"
	"maps"
	"slices"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/swarm"
	"github.com/hashicorp/hcl/v2"
)

// StackLabel is the node label berth sets on the nodes a Swarm stack may run on; the stack's
// services are constrained to it (a selector's hosts cannot be written as Swarm constraints,
// which only AND).
func StackLabel(stack string) string { return "berth.stack." + stack }

// NewCluster returns the state the swarm's hosts share in one run, nil without a swarm.
func NewCluster(inv *inventory.Inventory) *swarm.Cluster {
	if inv.Swarm == nil {
		return nil
	}
	l := inv.Host(inv.Swarm.Leader())
	return swarm.NewCluster(l.Name, serverAddress(l))
}

// SwarmResources returns host h's part of the swarm: its membership on every swarm host;
// on the leader also the nodes' labels and availability, the Swarm stacks and the nodes'
// status. A stack that cannot be rendered as a stack file fails the leader's plan.
func SwarmResources(inv *inventory.Inventory, h *inventory.Host, c *swarm.Cluster) ([]modules.Resource, error) {
	sw := inv.Swarm
	if sw == nil || !slices.Contains(sw.Hosts, h.Name) {
		return nil, nil
	}
	leader := sw.Leader() == h.Name
	rs := []modules.Resource{swarm.NewNode(swarm.NodeSpec{
		Host: h.Name, Address: serverAddress(h), Manager: slices.Contains(sw.Managers, h.Name), Leader: leader,
	}, c)}
	if !leader {
		return rs, nil
	}
	members := SwarmMembers(inv)
	rs = append(rs, swarm.NewNodes(members))
	for _, s := range inv.SwarmStacks() {
		st, err := swarm.NewStack(SwarmStackSpec(s))
		if err != nil {
			return nil, fmt.Errorf("stack %q (%s): %w", s.Name, s.DeclRange.String(), err)
		}
		rs = append(rs, st)
	}
	return append(rs, swarm.NewStatus(members)), nil
}

// SwarmMembers is what each swarm host's node must be: the host's labels and one label per
// Swarm stack placed on it, drained when the host is.
func SwarmMembers(inv *inventory.Inventory) []swarm.Member {
	var out []swarm.Member
	for _, name := range inv.Swarm.Hosts {
		h := inv.Host(name)
		labels := maps.Clone(h.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		for _, s := range inv.SwarmStacks() {
			if slices.Contains(s.Place.Hosts, name) {
				labels[StackLabel(s.Name)] = "true"
			}
		}
		out = append(out, swarm.Member{Host: name, Address: serverAddress(h), Labels: labels, Drain: h.Drain,
			Manager: slices.Contains(inv.Swarm.Managers, name)})
	}
	return out
}

// SwarmStackSpec is the Swarm form of stack s.
func SwarmStackSpec(s *inventory.Stack) swarm.StackSpec {
	spec := swarm.StackSpec{
		Name: s.Name, Compose: s.ComposeFile, Env: s.Env, Replicas: s.Replicas,
		PlaceLabel: StackLabel(s.Name), Spread: s.Place.Spread,
		CPUs: s.Resources.CPUs, Memory: s.Resources.Memory,
		Strategy: s.Update.Strategy, Parallel: s.Update.Parallel, HealthTimeout: s.Health.Timeout,
	}
	for _, p := range s.Ports {
		spec.Ports = append(spec.Ports, swarm.Port{Name: p.Name, Service: p.Service, Container: p.Container, Host: p.Host, Protocol: p.Protocol})
	}
	return spec
}

// swarmServers are the balancer's servers for a Swarm stack's port: every node the stack may
// run on, at the port it publishes in host mode. HAProxy's health checks take out the nodes
// that run no task of it right now, and put back those Swarm moves a task to.
func swarmServers(inv *inventory.Inventory, s *inventory.Stack, port string) []balancer.Server {
	var host int
	for _, p := range s.Ports {
		if p.Name == port {
			host = p.Host
		}
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
		if _, err := swarm.Render(SwarmStackSpec(s)); err != nil {
			r := s.DeclRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stack cannot run on Swarm", Detail: err.Error() + ".", Subject: &r})
		}
	}
	return diags
}
