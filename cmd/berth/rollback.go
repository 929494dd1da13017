package main

import (
	"flag"
	"fmt"
	"time"
)

func init() {
	register(&command{
		name:    "rollback",
		summary: "bring back the previous deployed version of a stack, rolling and drained like an update",
		args:    []param{required("STACK"), optional("DIR")},
		about: "Each host running a replica of STACK puts back the version deployed before the running one " +
			"(files, .env, image IDs), batch by batch, drained from the balancers like an update. " +
			"A Swarm stack's services go back to their previous spec, with docker service rollback from a manager. " +
			"The inventory is not changed: the next 'berth apply' deploys what it says again. 'berth history STACK' lists the versions.",
		setup: func(fs *flag.FlagSet) action {
			f := addEngineFlags(fs, time.Hour)
			yes := fs.Bool("yes", false, "roll back without asking for confirmation")
			return func(e *env, in invocation) int {
				f.rollback = in.args[0]
				return runRollback(e, dirArg(in.args[1:]), f, *yes)
			}
		},
	})
}

func runRollback(e *env, dir string, f *engineFlags, yes bool) int {
	if !f.inv.check(e) {
		return exitError
	}
	run, code := makePlan(e, dir, f, "berth rollback", false)
	if run == nil {
		return code
	}
	defer run.Close()
	if run.eng.Inventory.Stack(f.rollback) == nil {
		fmt.Fprintf(e.stderr, "error: the inventory has no stack %q\n", f.rollback)
		return exitError
	}
	c := run.Plan.Count()
	if c.Total() == 0 {
		fmt.Fprintf(e.stderr, "nothing to roll back: no host keeps a version of stack %s other than the running one\n", f.rollback)
		if c.Failed > 0 {
			return exitError
		}
		return exitOK
	}
	if !yes && !confirm(e, c) {
		return exitError
	}
	sum := run.eng.Apply(run.ctx, run.Session)
	run.prog.finish()
	printSummary(e, f.inv.json, sum)
	if sum.Failed() > 0 || c.Failed > 0 {
		return exitError
	}
	return exitOK
}
