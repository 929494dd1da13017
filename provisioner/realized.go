package provisioner

import (
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// carriedOut reports whether the stack's changes on host, up to phase, all ran: the host was
// in the run and planned, and every step of the stack there with a phase <= phase applied. A
// host with nothing to do for the stack has carried it out.
func (s *Session) carriedOut(stack, host string, phase int) bool {
	hs := s.hosts[host]
	if hs == nil || hs.facts == nil || hs.plan.Error != "" {
		return false
	}
	for _, st := range hs.steps {
		if stackOf(st.Resource) == stack && phaseOf(st.Resource) <= phase && !st.applied {
			return false
		}
	}
	return true
}

// Realized is the placement an apply of this session left: the planned placement where it
// was carried out, and the placement the run started from everywhere else. A
// replica whose new place did not come up is recorded where it still runs; one whose removal
// did not happen is still recorded; a deferred replica is not. This is what the placement
// file (berth.lock.json) must say: what happened, never what was only planned.
func (s *Session) Realized() schedule.Assignment {
	var out schedule.Assignment
	current := s.current
	if s.Plan.Placement == nil {
		return current
	}
	for _, sp := range s.Plan.Placement.Stacks {
		np := schedule.StackPlacement{Name: sp.Name}
		was := func(i int) []schedule.Replica {
			if c := current.Stack(sp.Name); c != nil {
				for _, r := range c.Replicas {
					if r.Index == i {
						return []schedule.Replica{r}
					}
				}
			}
			return nil
		}
		for _, r := range sp.Replicas {
			if r.Status == schedule.Held || s.carriedOut(sp.Name, r.Host, modules.PhaseTeardown) {
				np.Replicas = append(np.Replicas, r)
			} else {
				np.Replicas = append(np.Replicas, was(r.Index)...)
			}
		}
		for _, r := range sp.Removed {
			if !s.carriedOut(sp.Name, r.Host, modules.PhaseTeardown) {
				np.Replicas = append(np.Replicas, was(r.Index)...)
			}
		}
		np.Swarm = s.realizedSwarm(sp)
		out.Stacks = append(out.Stacks, np)
	}
	return out
}

// realizedSwarm is a stack's Swarm placement after the apply: the planned one once the
// manager deployed it, the current one while its deploy or its removal did not run.
func (s *Session) realizedSwarm(sp schedule.StackPlacement) *schedule.SwarmPlacement {
	var was *schedule.SwarmPlacement
	if c := s.current.Stack(sp.Name); c != nil {
		was = c.Swarm
	}
	done := s.carriedOut(sp.Name, s.Plan.Placement.SwarmManager, modules.PhaseTeardown)
	switch {
	case sp.Swarm != nil && (sp.Swarm.Status == schedule.Held || done):
		return sp.Swarm
	case sp.SwarmRemoved != nil && done:
		return nil
	}
	return was
}
