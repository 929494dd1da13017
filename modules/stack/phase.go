package stack

import "github.com/berth-dev/berth/modules"

// Phase implements modules.Phased: a replica leaving a host stops only after its successor
// runs healthy elsewhere and the balancers no longer send to it.
func (r *RemovalResource) Phase() int { return modules.PhaseTeardown }
