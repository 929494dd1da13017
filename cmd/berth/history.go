package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"sync"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner"
)

func init() {
	register(&command{
		name:    "history",
		summary: "list the deployed versions of a stack each host keeps, newest first",
		args:    []param{required("STACK"), optional("DIR")},
		about:   "Per host: when each version was deployed, by whom (user@machine), its content hash and image IDs. The newest is the running one; 'berth rollback STACK' brings back the one before it.",
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			f.addSourceFlags(fs)
			cf := addConnectFlags(fs)
			return func(e *env, in invocation) int { return runHistory(e, in.args[0], dirArg(in.args[1:]), f, cf) }
		},
	})
}

func runHistory(e *env, name, dir string, f *inventoryFlags, cf *connectFlags) int {
	if !f.check(e) {
		return exitError
	}
	inv, names, ok := selectHosts(e, dir, f)
	if !ok {
		return exitError
	}
	if inv.Stack(name) == nil {
		fmt.Fprintf(e.stderr, "error: the inventory has no stack %q\n", name)
		return exitError
	}
	if a, err := provisioner.CurrentAssignment(inv); err == nil && a.Stack(name) != nil {
		var placed []string // only the hosts the lock file places the stack on
		for _, r := range a.Stack(name).Replicas {
			if slices.Contains(names, r.Host) {
				placed = append(placed, r.Host)
			}
		}
		names = placed
	}
	slices.Sort(names)
	res, err := newResolver(e, inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	var mu sync.Mutex
	got := map[string][]stack.Version{}
	outcomes := provisioner.EachHost(ctx, names, cf.parallel, func(ctx context.Context, h string) error {
		c, err := dialHost(ctx, res, inv.Host(h))
		if err != nil {
			return err
		}
		defer c.Close()
		out, err := c.Observe(ctx, []modules.Probe{stack.HistoryProbe(name)})
		if err != nil {
			return err
		}
		mu.Lock()
		got[h] = stack.History(out[0])
		mu.Unlock()
		return nil
	})
	if f.json {
		json.NewEncoder(e.stdout).Encode(got)
	}
	for _, o := range outcomes {
		if o.Err != nil {
			hostError(e, o.Host, o.Err)
			continue
		}
		if f.json {
			continue
		}
		fmt.Fprintf(e.stdout, "%s:\n", o.Host)
		if len(got[o.Host]) == 0 {
			fmt.Fprintln(e.stdout, "  no version kept")
		}
		for i, v := range got[o.Host] {
			mark := " "
			if i == 0 {
				mark = "*" // the running version
			}
			fmt.Fprintf(e.stdout, "  %s %s\n", mark, v)
		}
	}
	summary, failed := provisioner.FleetSummary(outcomes)
	fmt.Fprintln(e.stderr, summary)
	if failed > 0 {
		return exitError
	}
	return exitOK
}
