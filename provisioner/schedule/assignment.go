package schedule

import "sort"

// Assignment says where every replica runs. Stacks are sorted by name, replicas by index.
// Its JSON form (lower-case keys) is part of saved plans and `berth plan --json`.
type Assignment struct {
	Stacks []StackPlacement `json:"stacks"`
	// SwarmManager is the swarm manager this run reaches the swarm through: chosen by the
	// caller from the hosts that answered (see provisioner.Place), never part of a lock file.
	SwarmManager string `json:"swarm_manager,omitempty"`
}

// StackPlacement is the placement of one stack.
type StackPlacement struct {
	Name     string    `json:"name"`
	Replicas []Replica `json:"replicas"`
	// Removed lists replicas of the current assignment that no longer exist (replicas went
	// down, or the stack is gone): the caller stops them. Never part of a lock file.
	Removed []Replica `json:"removed,omitempty"`
	// Deferred lists new replicas that this run cannot start: their host is not in it (see
	// WithinRun). Never part of a lock file.
	Deferred []Replica `json:"deferred,omitempty"`
	// Swarm is the placement of a Swarm stack (Stack.Swarm): its nodes and host ports.
	Swarm *SwarmPlacement `json:"swarm,omitempty"`
	// SwarmRemoved is the Swarm placement of the current assignment of a stack that no longer
	// runs on Swarm (it is static now, or gone): the caller removes it from the swarm, once
	// its static replicas run. Its ports stay held meanwhile. Never part of a lock file.
	SwarmRemoved *SwarmPlacement `json:"swarm_removed,omitempty"`
}

// Replica is one running copy of a stack.
type Replica struct {
	Index int            `json:"index"`
	Host  string         `json:"host"`
	Ports map[string]int `json:"ports,omitempty"` // port name -> host port
	// Standby are the ports a start-first deploy starts the replica's next version on, held
	// for it so that no other stack takes them (see Stack.Standby). They alternate with Ports.
	Standby map[string]int `json:"standby,omitempty"`
	// Beside marks a replica whose new version this plan starts beside the running one:
	// Ports are the new version's, Standby those the old one serves on until the switch (see
	// Assignment.StartBeside). Never part of a lock file.
	Beside bool `json:"beside,omitempty"`
	// Status says how this placement relates to the current assignment.
	Status Status `json:"status"`
	// From is the host a moved replica leaves.
	From string `json:"from,omitempty"`
	// To is the host a held replica should move to (see WithinRun).
	To string `json:"to,omitempty"`
	// Reason explains a move, a removal or a changed port, for the plan.
	Reason string `json:"reason,omitempty"`
}

// Status is how a replica's placement relates to the current assignment.
type Status string

const (
	Kept    Status = "kept"    // same host as before
	New     Status = "new"     // a replica that did not exist
	Moved   Status = "moved"   // placed on another host; From says where it was
	Removed Status = "removed" // stopped: only in StackPlacement.Removed
	Held    Status = "held"    // should move, but its new host is not in this run: stays
)

// Stack returns the placement of the named stack, or nil.
func (a Assignment) Stack(name string) *StackPlacement {
	for i := range a.Stacks {
		if a.Stacks[i].Name == name {
			return &a.Stacks[i]
		}
	}
	return nil
}

// Changed reports whether any replica is new, moved or removed, or has a changed port.
func (a Assignment) Changed() bool {
	for _, s := range a.Stacks {
		if len(s.Removed) > 0 || len(s.Deferred) > 0 || s.SwarmRemoved != nil {
			return true
		}
		if s.Swarm != nil && (s.Swarm.Status != Kept || s.Swarm.Reason != "") {
			return true
		}
		for _, r := range s.Replicas {
			if r.Status != Kept || r.Reason != "" {
				return true
			}
		}
	}
	return false
}

// StartBeside returns a copy of a in which the replicas of a start-first rollout take their
// standby ports and hand the ports they serve on now to the standby: the placement once the
// switch is done, which the balancers are rendered from and the lock file records.
func (a Assignment) StartBeside(ro Rollout) Assignment {
	out := Assignment{Stacks: make([]StackPlacement, len(a.Stacks)), SwarmManager: a.SwarmManager}
	copy(out.Stacks, a.Stacks)
	sp := out.Stack(ro.Stack)
	if sp == nil || ro.Strategy != StartFirst {
		return out
	}
	sp.Replicas = append([]Replica(nil), sp.Replicas...)
	for i := range sp.Replicas {
		r := &sp.Replicas[i]
		for _, sw := range ro.Switches {
			if sw.Index == r.Index && sw.Host == r.Host && !r.Beside {
				r.Ports, r.Standby, r.Beside = copyPorts(r.Standby), copyPorts(r.Ports), true
				why := "start-first: " + portChanges(r.Standby, r.Ports)
				if r.Reason != "" {
					why = r.Reason + "; " + why
				}
				r.Reason = why
			}
		}
	}
	return out
}

// sortAssignment puts stacks in name order and replicas in index order.
func sortAssignment(a *Assignment) {
	sort.Slice(a.Stacks, func(i, j int) bool { return a.Stacks[i].Name < a.Stacks[j].Name })
	for i := range a.Stacks {
		s := &a.Stacks[i]
		sort.Slice(s.Replicas, func(i, j int) bool { return s.Replicas[i].Index < s.Replicas[j].Index })
		sort.Slice(s.Removed, func(i, j int) bool { return s.Removed[i].Index < s.Removed[j].Index })
		sort.Slice(s.Deferred, func(i, j int) bool { return s.Deferred[i].Index < s.Deferred[j].Index })
	}
}
