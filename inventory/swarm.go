package inventory

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Swarm is the inventory's swarm block: the hosts berth forms into one Docker Swarm, and
// which of them are managers. Stacks with mode = "swarm" run on it (see Stack.Mode).
type Swarm struct {
	// Hosts are the swarm's nodes, sorted by name; Managers are those of them that manage it
	// (an odd number, so that a majority survives the loss of a minority). Leader, the first
	// manager by name, is where berth forms the swarm and deploys its stacks.
	Hosts     []string
	Managers  []string
	DeclRange hcl.Range
}

// Leader is the manager berth talks to: the first by name.
func (s *Swarm) Leader() string { return s.Managers[0] }

// Stack modes.
const (
	ModeStatic = "static" // berth places the replicas itself and runs compose on each host
	ModeSwarm  = "swarm"  // berth deploys the stack with docker stack deploy; Swarm places it
)

var swarmSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "hosts", Required: true}, {Name: "managers"},
}}

// swarm decodes the swarm block: at most one, its managers an odd number of its hosts.
func (l *loader) swarm() {
	bs := l.blocks["swarm"]
	for _, b := range bs[min(1, len(bs)):] {
		l.diags = append(l.diags, errorf(b.DefRange, "Duplicate swarm block",
			"The swarm block was already defined at %s; an inventory forms one swarm.", bs[0].DefRange.String()))
	}
	if len(bs) == 0 {
		return
	}
	b := bs[0]
	a := l.attrsIn(l.content(b, swarmSchema), l.ctx)
	sw := &Swarm{DeclRange: b.DefRange}
	sw.Hosts, _ = l.selectHosts(a, "hosts")
	if len(sw.Hosts) == 0 {
		l.diags = append(l.diags, errorf(a.rng("hosts", b.DefRange), "Swarm without hosts", "The swarm's hosts select no host."))
		return
	}
	sw.Managers = sw.Hosts[:1]
	if a.has("managers") {
		ms, ok := l.selectHosts(a, "managers")
		if !ok {
			return
		}
		for _, m := range ms {
			if !slices.Contains(sw.Hosts, m) {
				a.fail("managers", "Manager outside the swarm", "Host %q is selected as a manager but not by the swarm's hosts; managers are chosen among them.", m)
				return
			}
		}
		if len(ms)%2 == 0 {
			a.fail("managers", "Even number of managers",
				"The managers select %d hosts (%s). A swarm keeps working while a majority of its managers does: 2 managers survive no loss, 4 only one, like 3. Select an odd number (1, 3 or 5).", len(ms), quoteList(ms))
			return
		}
		sw.Managers = ms
	}
	l.inv.Swarm = sw
}

// swarmStack checks a stack with mode = "swarm" once its compose project is loaded: the
// inventory has a swarm, the stack's hosts are in it, and nothing the stack asks for is
// something only the static mode does. A port without host gets one number from the
// scheduler, free on every host of the stack (Swarm publishes it on each node running a task).
func (l *loader) swarmStack(sd *stackDecl) {
	s := sd.s
	rng := sd.modeRng
	sw := l.inv.Swarm
	if sw == nil {
		l.diags = append(l.diags, errorf(rng, "No swarm", "Stack %q has mode = \"swarm\" but the inventory has no swarm block saying which hosts form the swarm.", s.Name))
		return
	}
	for _, h := range s.Place.Hosts {
		if !slices.Contains(sw.Hosts, h) {
			l.diags = append(l.diags, errorf(rng, "Stack host outside the swarm",
				"Stack %q runs on Swarm, but its place selects host %q, which is not one of the swarm's hosts (%s).", s.Name, h, quoteList(sw.Hosts)))
			break
		}
	}
	for _, p := range s.Ports {
		if p.Bind != "" {
			l.diags = append(l.diags, errorf(p.DeclRange, "Swarm port with a bind address",
				"Port %q of stack %q sets bind; Swarm publishes on every interface of the node.", p.Name, s.Name))
		}
	}
	if s.Images == "ship" || len(s.Builds) > 0 {
		l.diags = append(l.diags, errorf(rng, "Swarm stack without a registry",
			"Stack %q runs on Swarm, where every node pulls the images from a registry: images = \"ship\" and build: sections are for static stacks.", s.Name))
	}
	if len(s.Ports) > 0 && s.Replicas > len(s.Place.Hosts) {
		l.diags = append(l.diags, errorf(rng, "More replicas than swarm hosts",
			"Stack %q publishes ports in host mode, so at most one replica runs per node, and it wants %d replicas on %d hosts.", s.Name, s.Replicas, len(s.Place.Hosts)))
	} else if len(s.Ports) > 0 && s.Replicas == len(s.Place.Hosts) {
		l.diags = append(l.diags, warnf(rng, "No spare node for a failed replica",
			"Stack %q has %d replicas on %d hosts with ports published in host mode (one replica per node): when a node fails, its replica has nowhere to go until it returns. Add a host to its place, or run one replica fewer.", s.Name, s.Replicas, len(s.Place.Hosts)))
	}
}

// modeOf reads a stack's mode attribute.
func modeOf(a attrs, s *Stack) {
	s.Mode = ModeStatic
	a.oneOf("mode", &s.Mode, ModeStatic, ModeSwarm)
}

// SwarmStacks are the stacks with mode = "swarm", in name order.
func (inv *Inventory) SwarmStacks() []*Stack {
	var out []*Stack
	for _, s := range inv.Stacks {
		if s.Mode == ModeSwarm {
			out = append(out, s)
		}
	}
	return out
}

// InSwarm reports whether host is one of the swarm's nodes.
func (inv *Inventory) InSwarm(host string) bool {
	return inv.Swarm != nil && slices.Contains(inv.Swarm.Hosts, host)
}

func (s *Swarm) String() string {
	return fmt.Sprintf("swarm of %d hosts, managers %v", len(s.Hosts), s.Managers)
}
