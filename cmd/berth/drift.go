package main

import (
	"fmt"

	"github.com/berth-dev/berth/provisioner"
)

func init() {
	register(&command{
		name:    "drift",
		summary: "report hosts that differ from the inventory, read-only",
		usage:   "[DIR] [-l SELECTOR] [--json] [--junit FILE] [-p N]",
		run:     runDrift,
	})
}

// runDrift never changes a host and never takes the apply lock. Exit codes, most severe
// first: 1 a host could not be checked, 3 a host is busy (an apply holds its lock, so what
// was seen may be mid-change), 2 drift, 0 none.
func runDrift(e *env, args []string) int {
	fs := newFlags(e, "drift")
	f := addEngineFlags(fs)
	junit := fs.String("junit", "", "also write a JUnit XML report to FILE (one test case per host and resource)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 1 || !f.inv.check(e) {
		return exitError
	}
	run, code := makePlan(e, dirArg(pos), f, "berth drift", true)
	if run == nil {
		return code
	}
	defer run.Close()
	if *junit != "" {
		if err := writeJUnit(*junit, run.Plan); err != nil {
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
	case c.Total() > 0:
		return exitChanges
	}
	return exitOK
}
