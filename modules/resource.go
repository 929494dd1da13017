package modules

import "context"

// Resource is one thing berth manages on a host.
//
// The engine calls Probes, runs them all (for every resource of a host) in one batch, hands
// each resource back its own results in Diff, and later calls Apply once per change the plan
// holds, on the resource that emitted it (never one looked up by address: two resources of a
// host may share one, such as a stack replica arriving and its removal). Diff must be pure
// and deterministic: same desired state and observation, same changes.
type Resource interface {
	// Address identifies the resource within a host, e.g. "docker.daemon".
	Address() string
	// Probes lists what must be observed.
	Probes() []Probe
	// Diff compares the desired state with the observation (one result per probe, same order)
	// and returns the changes needed; none when the host already matches.
	Diff(observed []ProbeResult) []Change
	// Apply carries out one change produced by Diff.
	Apply(ctx context.Context, h Host, c Change) error
}

// Dependent is a resource that reacts to changes of others, such as a service restarted when
// its configuration file changes. When any address of DependsOn has a change on the host, the
// planner replaces the resource's own changes by what Notify returns: the resource alone
// knows how its own operations combine with a restart.
type Dependent interface {
	DependsOn() []string
	// Notify returns the resource's changes given its own (from Diff) and the addresses of
	// its dependencies that change (at least one).
	Notify(own []Change, changed []string) []Change
}

// StackMember is a resource that belongs to a compose stack: a replica (its deploy and
// image transfers) or a removal. When a stack's deploy fails on a host, the engine holds
// the later phases that concern the same stack elsewhere (see provisioner.Engine.Apply).
type StackMember interface {
	Stack() string
}

// Writer is a resource whose changes are each exactly one atomic file write and nothing
// else: no command before or after, no rollback. The engine may then send a run of such
// changes of one host together through a BatchWriter; Apply must do exactly FileWrite(c).
// An error (a content that cannot be produced, see file.Spec.Produce) fails the change
// before anything is sent.
type Writer interface {
	FileWrite(c Change) (FileWrite, error)
}

// Phased is a resource whose changes must wait for other hosts. The engine applies each
// phase on every host before the next, in the order of the constants below, so that a moved
// replica runs healthy on its new host (deploy) before the balancers point at it (balance)
// and before the old one stops (teardown). A swarm forms in between: its first manager inits
// it in the deploy phase (after the host layer installed Docker), the other hosts join once
// it exists (swarm join), and the manager labels the nodes and deploys the Swarm stacks once
// they are in (swarm deploy), before the balancers follow. Resources without the method are
// in the deploy phase.
type Phased interface {
	Phase() int
}

// Phases of the engine's apply, in order.
const (
	PhaseDeploy      = 0
	PhaseSwarmJoin   = 1
	PhaseSwarmDeploy = 2
	PhaseBalance     = 3
	PhaseTeardown    = 4
)

// Checker is a resource whose observation can show that its desired state cannot be carried
// out on the host at all (the host's compose refuses a stack's compose file, say). That is an
// error of the host's plan, not a change: the engine fails the host with it, before any
// change is applied anywhere.
type Checker interface {
	// Check receives the same results as Diff; nil when the desired state can be carried out.
	Check(observed []ProbeResult) error
}
