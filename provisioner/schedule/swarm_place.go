package schedule

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// SwarmPlacement is where a Swarm stack may run and the host ports it publishes. Swarm
// places the stack's tasks on any of Hosts, at any time, and each task publishes the
// stack's ports in host mode on its node: so each port is one number, held on every one of
// Hosts whether a task runs there now or not.
type SwarmPlacement struct {
	Hosts []string       `json:"hosts"`
	Ports map[string]int `json:"ports,omitempty"` // port name -> host port on every node
	// Status is Kept (the current assignment had it) or New; Held for a removal that waits
	// (see WithinRun).
	Status Status `json:"status"`
	// Reason says what changed (a port moved) or, for a removal, why.
	Reason string `json:"reason,omitempty"`
}

// swarmHolder is who holds a Swarm stack's ports on a host. It differs from the stack's
// own name, so that the static replicas of the same stack (before or after a switch of
// mode, when both run for a while) never take its ports, nor it theirs.
func swarmHolder(stack string) string { return stack + " (Swarm)" }

// currentSwarm collects the Swarm placements of the current assignment by stack.
func currentSwarm(a Assignment) map[string]*SwarmPlacement {
	out := map[string]*SwarmPlacement{}
	for _, s := range a.Stacks {
		if s.Swarm != nil {
			out[s.Name] = s.Swarm
		}
	}
	return out
}

// reserveSwarm holds, on each of their hosts, the ports of the current Swarm placements.
func (p *placer) reserveSwarm() {
	for _, name := range sortedNames(p.curSwarm) {
		cur := p.curSwarm[name]
		for _, h := range cur.Hosts {
			if hs := p.byName[h]; hs != nil {
				for _, port := range sortedPorts(cur.Ports) {
					hs.reserve(port, swarmHolder(name))
				}
			}
		}
	}
}

// placeSwarm gives every Swarm stack its ports, in name order: fixed ports as declared;
// automatic ports their current number while it stays usable on every host of the stack,
// else the lowest number free on all of them within all their ranges. It runs after the
// current static replicas are kept and before new ones are placed: a port that stays is
// never taken by a newcomer.
func (p *placer) placeSwarm() {
	for _, s := range p.swarm {
		if sp := p.swarmOne(s); sp != nil {
			p.swarmOut[s.Name] = sp
		}
	}
}

func (p *placer) swarmOne(s *Stack) *SwarmPlacement {
	holder := swarmHolder(s.Name)
	hosts := make([]*hostState, 0, len(s.Hosts))
	for _, h := range s.Hosts {
		hosts = append(hosts, p.byName[h]) // validStacks rejected unknown hosts
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].idx < hosts[j].idx })
	sp := &SwarmPlacement{Ports: map[string]int{}, Status: New}
	for _, hs := range hosts {
		sp.Hosts = append(sp.Hosts, hs.host.Name)
	}
	cur := p.curSwarm[s.Name]
	if cur != nil {
		sp.Status = Kept
	}
	for _, pt := range s.Ports {
		if pt.Host == 0 {
			continue
		}
		for _, hs := range hosts {
			// A port in use on the host, for a berth-less process, may be this stack's own
			// task: Swarm publishes it there. Only another stack's port is a conflict.
			if h, held := hs.holders[pt.Host]; held && h.stack != "" && h.stack != holder {
				p.problems = append(p.problems, stackProblem(s.Name, "Swarm port %q: host port %d is taken by stack %s on %s", pt.Name, pt.Host, h.stack, hs.host.Name))
				continue
			}
			hs.claim(pt.Host, holder)
		}
		sp.Ports[pt.Name] = pt.Host
	}
	for _, pt := range s.Ports {
		if pt.Host != 0 {
			continue
		}
		q := 0
		if cur != nil {
			q = cur.Ports[pt.Name]
		}
		if q == 0 || !swarmUsable(s, hosts, q, holder) {
			q = lowestCommon(s, hosts, holder)
		}
		if q == 0 {
			p.problems = append(p.problems, p.noCommonPort(s, pt, hosts))
			continue
		}
		p.claimAll(hosts, q, holder)
		sp.Ports[pt.Name] = q
	}
	if cur != nil {
		sp.Reason = joinReasons(portChanges(cur.Ports, sp.Ports), hostChanges(cur.Hosts, sp.Hosts))
	}
	if len(sp.Ports) == 0 {
		sp.Ports = nil
	}
	return sp
}

func (p *placer) claimAll(hosts []*hostState, port int, holder string) {
	for _, hs := range hosts {
		hs.claim(port, holder)
	}
}

// swarmUsable reports whether an automatic port of Swarm stack s may be q on every host.
func swarmUsable(s *Stack, hosts []*hostState, q int, holder string) bool {
	for _, pt := range s.Ports {
		if pt.Host == q {
			return false
		}
	}
	for _, hs := range hosts {
		if !hs.inRange(q) || !hs.usableBy(q, holder) {
			return false
		}
	}
	return len(hosts) > 0
}

// lowestCommon is the lowest port within every host's range that none of them holds, or 0.
func lowestCommon(s *Stack, hosts []*hostState, holder string) int {
	if len(hosts) == 0 {
		return 0
	}
	from, to := 1, 65535
	for _, hs := range hosts {
		if hs.from == 0 {
			return 0
		}
		from, to = max(from, hs.from), min(to, hs.to)
	}
	for q := from; q <= to; q++ {
		if swarmUsable(s, hosts, q, holder) {
			return q
		}
	}
	return 0
}

// noCommonPort explains, per host, why no port number is free on all of a Swarm stack's hosts.
func (p *placer) noCommonPort(s *Stack, pt Port, hosts []*hostState) Problem {
	prob := stackProblem(s.Name, "Swarm port %q: no host port is free on all of its hosts within all their port ranges (Swarm publishes one number on every node)", pt.Name)
	for _, hs := range hosts {
		reason := fmt.Sprintf("range %d-%d, %d free", hs.from, hs.to, hs.freeInRange())
		if hs.from == 0 {
			reason = reject{kind: rejNoRange}.text()
		}
		prob.Hosts = append(prob.Hosts, HostReason{Host: hs.host.Name, Reason: reason})
	}
	return prob
}

// hostChanges describes how a Swarm stack's hosts changed: "hosts: +h4 -h2".
func hostChanges(before, after []string) string {
	var d []string
	for _, h := range after {
		if !slices.Contains(before, h) {
			d = append(d, "+"+h)
		}
	}
	for _, h := range before {
		if !slices.Contains(after, h) {
			d = append(d, "-"+h)
		}
	}
	if len(d) == 0 {
		return ""
	}
	return "hosts: " + strings.Join(d, " ")
}

// swarmResult adds the Swarm placements to the stacks' placements: each Swarm stack's, and
// the removal of each current Swarm placement whose stack no longer runs on Swarm.
func (p *placer) swarmResult(get func(name string) *StackPlacement) {
	asked := map[string]bool{}
	for _, s := range p.swarm {
		asked[s.Name] = true
		if sp := p.swarmOut[s.Name]; sp != nil {
			get(s.Name).Swarm = sp
		}
	}
	static := map[string]bool{}
	for _, st := range p.stacks {
		static[st.spec.Name] = true
	}
	for _, name := range sortedNames(p.curSwarm) {
		if asked[name] {
			continue
		}
		cur := p.curSwarm[name]
		why := "stack removed"
		if static[name] {
			why = "stack " + name + " is static now"
		}
		get(name).SwarmRemoved = &SwarmPlacement{Hosts: slices.Clone(cur.Hosts), Ports: copyPorts(cur.Ports), Status: Removed, Reason: why}
	}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
