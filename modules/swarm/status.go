package swarm

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/modules"
)

// OpDown reports a node that is down: drift, which apply cannot repair.
const OpDown = "down"

// Status reports, from the leader and after the stacks, the swarm's nodes that are down.
// Swarm reschedules their tasks by itself; berth can only say so: its change fails apply with
// what to do, after every other change of the leader ran.
type Status struct {
	members []Member
}

var (
	_ modules.Resource = (*Status)(nil)
	_ modules.Phased   = (*Status)(nil)
)

// NewStatus returns the node status check of members.
func NewStatus(members []Member) *Status { return &Status{members: NewNodes(members).members} }

// Address implements modules.Resource.
func (r *Status) Address() string { return "swarm.status" }

// Phase implements modules.Phased.
func (r *Status) Phase() int { return modules.PhaseSwarmDeploy }

// Probes implements modules.Resource.
func (r *Status) Probes() []modules.Probe { return []modules.Probe{nodesProbe()} }

// Diff implements modules.Resource.
func (r *Status) Diff(obs []modules.ProbeResult) []modules.Change {
	ns, _ := parseNodes(obs[0].Stdout)
	var out []modules.Change
	for _, m := range r.members {
		n := byAddress(ns, m.Address)
		if n == nil || n.Status.State == "ready" {
			continue
		}
		out = append(out, modules.Change{Address: "swarm.node." + m.Host, Action: modules.Replace, Op: OpDown,
			Reason: fmt.Sprintf("node %s (%s) is %s: Swarm runs its tasks on the other nodes", m.Host, m.Address, n.Status.State)})
	}
	return out
}

// Apply implements modules.Resource: a down node is the host's to fix, not berth's.
func (r *Status) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	return fmt.Errorf("%s: %s; bring the host back (its node rejoins by itself), or take it out of the swarm's hosts", c.Address, c.Reason)
}
