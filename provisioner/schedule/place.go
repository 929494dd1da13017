package schedule

import (
	"fmt"
	"sort"
)

// Place assigns every replica of every stack to a host and its named ports to host ports.
// It keeps every current placement that is still feasible, then places the rest:
// feasibility (selected, not drained, capacity left, fixed ports free, no other replica of
// the stack, enough free ports) -> rank (fewest replicas of the stack on the host's spread
// label value, then least loaded, then fewest replicas, then name) -> pick.
// Problems list what could not be placed and why, per host; everything else is placed.
func Place(req Request) (Assignment, []Problem) {
	p := newPlacer(req)
	p.reserveCurrent()
	p.keepCurrent()
	p.placeSwarm()
	p.placeRest()
	return p.result(), p.problems
}

// placer holds the state of one Place call.
type placer struct {
	hosts    []*hostState // name order
	byName   map[string]*hostState
	stacks   []*stackState // name order
	current  map[string][]Replica
	gone     []string // stacks of the current assignment that the request no longer has
	problems []Problem
	// swarm are the Swarm stacks (name order), curSwarm the current assignment's Swarm
	// placements and swarmOut this run's (see swarm_place.go).
	swarm    []*Stack
	curSwarm map[string]*SwarmPlacement
	swarmOut map[string]*SwarmPlacement
	labels   map[string]labelIndex
}

// labelIndex maps each host (by idx) to an id of its value of one label.
type labelIndex struct {
	ids    []int32
	values int
}

func newPlacer(req Request) *placer {
	hosts, ranges, probs := validHosts(req.Hosts)
	p := &placer{byName: make(map[string]*hostState, len(hosts)), problems: probs, labels: map[string]labelIndex{},
		swarmOut: map[string]*SwarmPlacement{}}
	for i, h := range hosts {
		hs := newHostState(h, i, ranges[i])
		p.hosts = append(p.hosts, hs)
		p.byName[h.Name] = hs
	}
	stacks, probs := validStacks(req.Stacks, p.byName)
	p.problems = append(p.problems, probs...)
	var static []Stack
	for _, s := range stacks {
		if s.Swarm {
			p.swarm = append(p.swarm, s)
			continue
		}
		p.stacks = append(p.stacks, p.newStackState(s))
		static = append(static, *s)
	}
	p.current = currentByStack(req.Current)
	p.curSwarm = currentSwarm(req.Current)
	// A Swarm stack's static replicas of the current assignment (a stack switched to Swarm)
	// are gone as static replicas: they stop once the Swarm stack runs.
	p.gone = goneStacks(p.current, static)
	return p
}

func (p *placer) newStackState(s *Stack) *stackState {
	st := &stackState{
		spec:     s,
		cpu:      millis(s.Resources.CPUs),
		mem:      s.Resources.Memory,
		selected: make([]uint64, (len(p.hosts)+63)/64),
		moves:    map[int]move{},
	}
	for _, h := range s.Hosts {
		idx := p.byName[h].idx // validStacks rejected unknown hosts
		st.selected[idx/64] |= 1 << (idx % 64)
	}
	if s.Spread != "" {
		li := p.labelIndex(s.Spread)
		st.spread, st.counts = li.ids, make([]int, li.values)
	}
	return st
}

// labelIndex numbers the values of a label over all hosts; hosts without it share one id.
func (p *placer) labelIndex(label string) labelIndex {
	if li, ok := p.labels[label]; ok {
		return li
	}
	ids := make([]int32, len(p.hosts))
	seen := map[string]int32{}
	for i, hs := range p.hosts {
		v := hs.host.Labels[label]
		id, ok := seen[v]
		if !ok {
			id = int32(len(seen))
			seen[v] = id
		}
		ids[i] = id
	}
	li := labelIndex{ids: ids, values: len(seen)}
	p.labels[label] = li
	return li
}

// currentByStack copies the current replicas per stack, sorted by index then host.
func currentByStack(a Assignment) map[string][]Replica {
	out := make(map[string][]Replica, len(a.Stacks))
	for _, s := range a.Stacks {
		rs := append(out[s.Name], s.Replicas...)
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Index != rs[j].Index {
				return rs[i].Index < rs[j].Index
			}
			return rs[i].Host < rs[j].Host
		})
		out[s.Name] = rs
	}
	return out
}

func goneStacks(current map[string][]Replica, stacks []Stack) []string {
	asked := make(map[string]bool, len(stacks))
	for _, s := range stacks {
		asked[s.Name] = true
	}
	var gone []string
	for name := range current {
		if !asked[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	return gone
}

// reserveCurrent holds, on each host, the ports of the current assignment for their
// stacks (whether they stay or not: a leaving replica runs until its successor is up),
// Swarm stacks included, then the ports the host reports in use for processes outside berth.
func (p *placer) reserveCurrent() {
	p.reserveSwarm()
	names := make([]string, 0, len(p.current))
	for name := range p.current {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, r := range p.current[name] {
			if hs := p.byName[r.Host]; hs != nil {
				for _, port := range append(sortedPorts(r.Ports), sortedPorts(r.Standby)...) {
					hs.reserve(port, name)
				}
			}
		}
	}
	for _, hs := range p.hosts {
		for _, port := range hs.host.UsedPorts {
			if port > 0 && port <= 65535 {
				hs.reserve(port, "")
			}
		}
	}
}

func sortedPorts(m map[string]int) []int {
	out := make([]int, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// keepCurrent keeps every current replica that may stay on its host, in stack then
// index order, and records why the others must move or stop.
func (p *placer) keepCurrent() {
	for _, st := range p.stacks {
		for _, r := range p.current[st.spec.Name] {
			p.keepOne(st, r)
		}
	}
}

func (p *placer) keepOne(st *stackState, r Replica) {
	switch {
	case r.Index < 0 || r.Index >= st.spec.Replicas:
		st.removed = append(st.removed, removed(r, fmt.Sprintf("replicas is now %d", st.spec.Replicas)))
		return
	case st.hasIndex(r.Index) || st.moves[r.Index].from != "":
		st.removed = append(st.removed, removed(r, "duplicate replica index"))
		return
	}
	hs := p.byName[r.Host]
	rej := reject{kind: rejGone}
	if hs != nil && !st.selects(hs.idx) {
		rej = reject{kind: rejNotSelected}
	} else if hs != nil {
		rej = check(st, hs, r.Ports, r.Standby)
	}
	if !rej.ok() {
		st.moves[r.Index] = move{from: r.Host, reason: r.Host + ": " + rej.text(), ports: r.Ports}
		return
	}
	ports, standby := assignPorts(st, hs, r.Ports, r.Standby)
	p.commit(st, hs, Replica{Index: r.Index, Host: r.Host, Ports: ports, Standby: standby, Status: Kept, Reason: joinReasons(portChanges(r.Ports, ports), standbyChanges(r.Standby, standby))})
}

func removed(r Replica, reason string) Replica {
	return Replica{Index: r.Index, Host: r.Host, Ports: copyPorts(r.Ports), Standby: copyPorts(r.Standby), Status: Removed, Reason: reason}
}

// commit records replica r of st on hs.
func (p *placer) commit(st *stackState, hs *hostState, r Replica) {
	hs.place(st.cpu, st.mem)
	st.hosts = append(st.hosts, hs.idx)
	if st.counts != nil {
		st.counts[st.spread[hs.idx]]++
	}
	st.replicas = append(st.replicas, r)
	if len(r.Ports) != len(st.spec.Ports) {
		p.problems = append(p.problems, Problem{Stack: st.spec.Name, Replica: r.Index, Host: hs.host.Name,
			Summary: fmt.Sprintf("stack %q replica %d: no free port left on %s", st.spec.Name, r.Index, hs.host.Name)})
	}
}

// placeRest places every replica that is not kept, in stack then index order.
func (p *placer) placeRest() {
	for _, st := range p.stacks {
		for i := 0; i < st.spec.Replicas; i++ {
			if !st.hasIndex(i) {
				p.placeOne(st, i)
			}
		}
	}
}

func (p *placer) placeOne(st *stackState, index int) {
	mv, moving := st.moves[index]
	hs := pick(st, p.hosts)
	if hs == nil {
		p.problems = append(p.problems, p.noFit(st, index, mv))
		return
	}
	prefer := st.preferredPorts()
	r := Replica{Index: index, Host: hs.host.Name, Status: New}
	if moving {
		prefer = mv.ports
		r.Status, r.From, r.Reason = Moved, mv.from, mv.reason
	}
	r.Ports, r.Standby = assignPorts(st, hs, prefer, nil)
	p.commit(st, hs, r)
}

// noFit explains, host by host, why replica index of st fits nowhere.
func (p *placer) noFit(st *stackState, index int, mv move) Problem {
	sum := fmt.Sprintf("stack %q replica %d fits on no host", st.spec.Name, index)
	if mv.from != "" {
		sum += fmt.Sprintf(" (it must leave %s)", mv.reason)
	}
	prob := Problem{Stack: st.spec.Name, Replica: index, Summary: sum}
	for _, hs := range p.hosts {
		reason := notSelected
		if st.selects(hs.idx) {
			reason = check(st, hs, nil, nil).text()
		}
		prob.Hosts = append(prob.Hosts, HostReason{Host: hs.host.Name, Reason: reason})
	}
	return prob
}

// result gathers the placements, stacks in name order, and stops the stacks that are gone.
func (p *placer) result() Assignment {
	var a Assignment
	for _, st := range p.stacks {
		a.Stacks = append(a.Stacks, StackPlacement{Name: st.spec.Name, Replicas: st.replicas, Removed: st.removed})
	}
	swarmed := map[string]bool{}
	for _, s := range p.swarm {
		swarmed[s.Name] = true
	}
	for _, name := range p.gone {
		sp := StackPlacement{Name: name}
		why := "stack removed"
		if swarmed[name] {
			why = "stack moves to Swarm"
		}
		for _, r := range p.current[name] {
			sp.Removed = append(sp.Removed, removed(r, why))
		}
		a.Stacks = append(a.Stacks, sp)
	}
	p.swarmResult(func(name string) *StackPlacement {
		for i := range a.Stacks {
			if a.Stacks[i].Name == name {
				return &a.Stacks[i]
			}
		}
		a.Stacks = append(a.Stacks, StackPlacement{Name: name})
		return &a.Stacks[len(a.Stacks)-1]
	})
	sortAssignment(&a)
	return a
}
