package main

import (
	"context"

	"github.com/berth-dev/berth/provisioner"
)

// planRun is a plan with everything needed to apply it right away: the engine, its open
// connections and the run's context.
type planRun struct {
	*provisioner.Session
	eng   *provisioner.Engine
	stats *statsConn
	flags *engineFlags
	env   *env
	prog  *progress
	ctx   context.Context
	done  func()
}

// Close closes the connections and stops listening for interrupts.
func (r *planRun) Close() {
	r.Session.Close()
	r.done()
}
