package schedule

import "sort"

// validHosts returns the hosts in name order, without duplicates, and the problems of
// their declarations. A host with a bad port range stays, without a range.
func validHosts(in []Host) ([]*Host, []bool, []Problem) {
	hosts := make([]*Host, 0, len(in))
	for i := range in {
		hosts = append(hosts, &in[i])
	}
	sort.SliceStable(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	var probs []Problem
	out := hosts[:0]
	var ranges []bool
	for i, h := range hosts {
		if i > 0 && h.Name == hosts[i-1].Name {
			probs = append(probs, hostProblem(h.Name, "declared twice; the first declaration is used"))
			continue
		}
		ok, p := validRange(h)
		if p != nil {
			probs = append(probs, *p)
		}
		out = append(out, h)
		ranges = append(ranges, ok)
	}
	return out, ranges, probs
}

func validRange(h *Host) (bool, *Problem) {
	r := h.PortRange
	if r.From == 0 && r.To == 0 {
		return false, nil
	}
	if r.From < 1 || r.To > 65535 || r.From > r.To {
		p := hostProblem(h.Name, "port range %d-%d is not within 1-65535 or is reversed", r.From, r.To)
		return false, &p
	}
	return true, nil
}

// validStacks returns the stacks in name order that Place can work on, and the problems
// of the others.
func validStacks(in []Stack, known map[string]*hostState) ([]*Stack, []Problem) {
	stacks := make([]*Stack, 0, len(in))
	for i := range in {
		stacks = append(stacks, &in[i])
	}
	sort.SliceStable(stacks, func(i, j int) bool { return stacks[i].Name < stacks[j].Name })
	var probs []Problem
	out := stacks[:0]
	for i, s := range stacks {
		if i > 0 && s.Name == stacks[i-1].Name {
			probs = append(probs, stackProblem(s.Name, "declared twice; the first declaration is used"))
			continue
		}
		if p := stackError(s, known); p != nil {
			probs = append(probs, *p)
			continue
		}
		out = append(out, s)
	}
	return out, probs
}

// stackError returns the first thing that makes a stack unplaceable, or nil.
func stackError(s *Stack, known map[string]*hostState) *Problem {
	fail := func(format string, args ...any) *Problem {
		p := stackProblem(s.Name, format, args...)
		return &p
	}
	switch {
	case s.Name == "":
		return fail("a stack needs a name")
	case s.Replicas < 0:
		return fail("replicas is %d, must be 0 or more", s.Replicas)
	case s.Resources.CPUs < 0 || s.Resources.Memory < 0:
		return fail("resources must not be negative")
	}
	for _, h := range s.Hosts {
		if known[h] == nil {
			return fail("place.hosts names unknown host %q", h)
		}
	}
	return portsError(s, fail)
}

func portsError(s *Stack, fail func(string, ...any) *Problem) *Problem {
	names := map[string]bool{}
	fixed := map[int]string{}
	for _, p := range s.Ports {
		switch {
		case p.Name == "":
			return fail("a port needs a name")
		case names[p.Name]:
			return fail("port %q declared twice", p.Name)
		case p.Container < 1 || p.Container > 65535:
			return fail("port %q: container port %d is not within 1-65535", p.Name, p.Container)
		case p.Host < 0 || p.Host > 65535:
			return fail("port %q: host port %d is not within 1-65535", p.Name, p.Host)
		case p.Host != 0 && fixed[p.Host] != "":
			return fail("ports %q and %q both ask for host port %d", fixed[p.Host], p.Name, p.Host)
		}
		names[p.Name] = true
		if p.Host != 0 {
			fixed[p.Host] = p.Name
		}
	}
	return nil
}
