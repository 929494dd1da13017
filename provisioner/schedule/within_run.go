package schedule

import "fmt"

// WithinRun restricts a placement to what a run that reaches only some hosts can carry out
// (berth apply -l, a runbook step with hosts, an unreachable host). The rule, the same for
// every apply: a replica's old place is torn down only once its new place runs, and a run
// cannot start anything on a host it does not reach. So:
//   - a replica that should move to a host outside the run is Held: it stays where it runs,
//     with its ports, and To names where it should go;
//   - a new replica on a host outside the run is Deferred: listed, not started;
//   - a kept replica outside the run keeps its current ports (a port change waits);
//   - removals are left as they are: a host outside the run simply is not changed;
//   - when waits names a reason for a stack (a balancer routing to it is outside the run, so
//     it would keep sending requests to a stopped replica), its moves are held and its
//     removals wait too: the replicas keep running, Held, where they are.
//
// current is the placement the run started from. WithinRun is pure; a placement file
// written after the run records what happened (see provisioner.Session.Realized).
func WithinRun(a, current Assignment, reached func(host string) bool, waits func(stack string) string) Assignment {
	out := Assignment{Stacks: make([]StackPlacement, 0, len(a.Stacks)), SwarmManager: a.SwarmManager}
	for _, sp := range a.Stacks {
		np := StackPlacement{Name: sp.Name, Deferred: sp.Deferred, Swarm: sp.Swarm, SwarmRemoved: sp.SwarmRemoved}
		why := waits(sp.Name)
		if r := sp.SwarmRemoved; r != nil && why != "" {
			np.Swarm, np.SwarmRemoved = &SwarmPlacement{Hosts: r.Hosts, Ports: copyPorts(r.Ports), Status: Held,
				Reason: fmt.Sprintf("to be removed from the swarm (%s); it keeps running: %s", r.Reason, why)}, nil
		}
		for _, r := range sp.Removed {
			if was := current.replica(sp.Name, r.Index); why != "" && was != nil {
				np.Replicas = append(np.Replicas, Replica{Index: r.Index, Host: was.Host, Ports: copyPorts(was.Ports), Status: Held,
					Reason: fmt.Sprintf("to be removed (%s); it keeps running: %s", r.Reason, why)})
				continue
			}
			np.Removed = append(np.Removed, r)
		}
		for _, r := range sp.Replicas {
			was := current.replica(sp.Name, r.Index)
			switch {
			case r.Status == Moved && was != nil && why != "":
				np.Replicas = append(np.Replicas, Replica{
					Index: r.Index, Host: was.Host, Ports: copyPorts(was.Ports), Status: Held, To: r.Host,
					Reason: fmt.Sprintf("should move to %s (%s); it stays on %s: %s", r.Host, r.Reason, was.Host, why),
				})
			case reached(r.Host):
				np.Replicas = append(np.Replicas, r)
			case r.Status == Moved && was != nil:
				np.Replicas = append(np.Replicas, Replica{
					Index: r.Index, Host: was.Host, Ports: copyPorts(was.Ports), Status: Held, To: r.Host,
					Reason: fmt.Sprintf("should move to %s (%s); %s is not in this run, so it stays on %s: apply with both hosts to move it", r.Host, r.Reason, r.Host, was.Host),
				})
			case r.Status == New || r.Status == Moved:
				r.Status, r.From = New, ""
				r.Reason = fmt.Sprintf("not started: %s is not in this run", r.Host)
				np.Deferred = append(np.Deferred, r)
			case was != nil && r.Reason != "":
				np.Replicas = append(np.Replicas, Replica{Index: r.Index, Host: r.Host, Ports: copyPorts(was.Ports), Status: Kept,
					Reason: fmt.Sprintf("port change waits: %s is not in this run", r.Host)})
			default:
				np.Replicas = append(np.Replicas, r)
			}
		}
		sortAssignment(&Assignment{Stacks: []StackPlacement{np}})
		out.Stacks = append(out.Stacks, np)
	}
	return out
}

// replica returns the replica of stack name with index i, or nil.
func (a Assignment) replica(name string, i int) *Replica {
	sp := a.Stack(name)
	if sp == nil {
		return nil
	}
	for j := range sp.Replicas {
		if sp.Replicas[j].Index == i {
			return &sp.Replicas[j]
		}
	}
	return nil
}
