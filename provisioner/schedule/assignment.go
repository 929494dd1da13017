package schedule

import "sort"

// Assignment says where every replica runs. Stacks are sorted by name, replicas by index.
// Its JSON form (lower-case keys) is part of saved plans and `berth plan --json`.
type Assignment struct {
	Stacks []StackPlacement `json:"stacks"`
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
}

// Replica is one running copy of a stack.
type Replica struct {
	Index int            `json:"index"`
	Host  string         `json:"host"`
	Ports map[string]int `json:"ports,omitempty"` // port name -> host port
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
		if len(s.Removed) > 0 || len(s.Deferred) > 0 {
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
