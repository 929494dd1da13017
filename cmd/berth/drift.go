package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/berth-dev/berth/provisioner"
)

func init() {
	register(&command{
		name:    "drift",
		summary: "report hosts that differ from the inventory, read-only",
		args:    []param{optional("DIR")},
		about:   "exit codes, most severe first: 1 a host could not be checked, 3 a host is busy (an apply holds its lock), 2 drift or an expired frontend certificate, 0 none.",
		setup: func(fs *flag.FlagSet) action {
			f := addEngineFlags(fs, time.Hour)
			junit := fs.String("junit", "", "also write a JUnit XML report to `FILE` (one test case per host and resource)")
			return func(e *env, in invocation) int { return runDrift(e, dirArg(in.args), f, *junit) }
		},
	})
}

// runDrift never changes a host and never takes the apply lock. Exit codes, most severe
// first: 1 a host could not be checked, 3 a host is busy (an apply holds its lock, so what
// was seen may be mid-change), 2 drift, 0 none.
func runDrift(e *env, dir string, f *engineFlags, junit string) int {
	if !f.inv.check(e) {
		return exitError
	}
	run, code := makePlan(e, dir, f, "berth drift", true)
	if run == nil {
		return code
	}
	defer run.Close()
	if junit != "" {
		if err := writeJUnit(junit, run.Plan); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitError
		}
	}
	return driftExit(run.Plan)
}

func driftExit(p *provisioner.Plan) int {
	c := p.Count()
	switch {
	case c.Failed > 0:
		return exitError
	case c.Busy > 0:
		return exitBusy
	case c.Total() > 0 || p.Expired() > 0: // an expired certificate is drift from a served site
		return exitChanges
	}
	return exitOK
}
