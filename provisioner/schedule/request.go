package schedule

// Request is everything Place needs: the fleet, the stacks and the current assignment.
type Request struct {
	Hosts  []Host
	Stacks []Stack
	// Current is the assignment in force: from the lock file and the stacks' manifests on the
	// hosts. Its statuses are ignored.
	Current Assignment
}

// Host is one machine replicas may run on.
type Host struct {
	Name   string
	Labels map[string]string
	// Capacity is what the host offers; a zero dimension means unlimited.
	Capacity  Resources
	PortRange PortRange
	// UsedPorts are the ports the host reports listening (facts). Ports of the current
	// assignment on this host may appear here: they are attributed to their stack.
	UsedPorts []int
	// Drain moves this host's replicas elsewhere and places nothing new on it.
	Drain bool
}

// PortRange is an inclusive range of host ports automatic ports come from.
type PortRange struct {
	From, To int
}

// Resources is an amount of CPU and memory.
type Resources struct {
	CPUs   float64 // cores; compared in thousandths
	Memory int64   // bytes
}

// Stack is a compose project to run Replicas times on distinct hosts.
type Stack struct {
	Name     string
	Replicas int
	// Hosts are the host names the stack's selector allows.
	Hosts []string
	// Spread names a label; replicas go first to label values holding the fewest of them.
	Spread string
	// Resources is what one replica needs.
	Resources Resources
	Ports     []Port
	// Standby holds a second host port per automatic port of each replica, for start-first
	// deploys (see StrategyFor): the next version starts on it beside the running one.
	Standby bool
	// Swarm marks a stack Docker Swarm places: Place gives it no replicas, only host ports,
	// each one number held on every one of Hosts (see SwarmPlacement).
	Swarm bool
}

// Port asks for a host port publishing a container port.
type Port struct {
	Name      string
	Container int
	Host      int // fixed host port; 0 lets Place pick one from the host's range
}
