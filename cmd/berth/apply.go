package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/schedule"
	"golang.org/x/term"
)

func init() {
	register(&command{
		name:    "apply",
		summary: "plan, confirm and change the hosts",
		args:    []param{optional("DIR|PLANFILE")},
		about:   "A PLANFILE saved by 'berth plan -out' is applied as reviewed, or not at all when the hosts changed since.",
		setup: func(fs *flag.FlagSet) action {
			f := addEngineFlags(fs, time.Hour)
			f.addForceRecreate(fs)
			yes := fs.Bool("yes", false, "apply without asking for confirmation")
			return func(e *env, in invocation) int { return runApply(e, dirArg(in.args), f, *yes) }
		},
	})
}

func runApply(e *env, arg string, f *engineFlags, yes bool) int {
	if !f.inv.check(e) {
		return exitError
	}
	var saved *provisioner.Plan
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		if saved, err = provisioner.LoadPlan(arg); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitError
		}
		arg = saved.Inventory
		f.forceRecreate = f.forceRecreate || saved.ForceRecreate
		if f.inv.limit == "" {
			f.inv.limit = strings.Join(savedHosts(saved), ",")
		}
	}
	run, code := makePlan(e, arg, f, "berth apply", false)
	if run == nil {
		return code
	}
	defer run.Close()
	if f.stats {
		defer run.stats.print(e) // what the whole run cost, whichever way it ends
	}
	if saved != nil {
		// What was reviewed is what runs, or nothing runs.
		if same, why := provisioner.SameChanges(saved, run.Plan); !same {
			fmt.Fprintf(e.stderr, "error: the saved plan is stale: %s\nhint: run 'berth plan -out FILE' again and review it\n", why)
			return exitError
		}
	}
	c := run.Plan.Count()
	if c.Total() == 0 {
		if c.Failed > 0 {
			return exitError
		}
		return exitOK
	}
	if saved == nil && !yes && !confirm(e, c) {
		return exitError
	}
	sum := run.eng.Apply(run.ctx, run.Session)
	run.prog.finish()
	if err := provisioner.WritePlacement(run.eng.Inventory, run.Session); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	printSummary(e, f.inv.json, sum)
	if sum.Failed() > 0 || c.Failed > 0 {
		return exitError
	}
	return exitOK
}

func savedHosts(p *provisioner.Plan) []string {
	var hs []string
	for _, h := range p.Hosts {
		hs = append(hs, h.Host)
	}
	return hs
}

// confirm asks on the terminal; without one it refuses, since nobody reviewed the plan.
func confirm(e *env, c provisioner.Counts) bool {
	in, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		fmt.Fprintln(e.stderr, "error: apply needs confirmation and standard input is not a terminal\nhint: review the plan above, then run again with --yes (or save it with 'berth plan -out FILE' and 'berth apply FILE')")
		return false
	}
	fmt.Fprintf(e.stderr, "\nApply %d changes on %d hosts? Only 'yes' is accepted: ", c.Total(), c.HostsChanged)
	line, _ := bufio.NewReader(in).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(e.stderr, "apply cancelled, nothing was changed")
		return false
	}
	return true
}

func printSummary(e *env, jsonOut bool, sum provisioner.Summary) {
	if jsonOut {
		json.NewEncoder(e.stdout).Encode(struct {
			Type    string              `json:"type"`
			Summary provisioner.Summary `json:"summary"`
		}{"summary", sum})
		return
	}
	fmt.Fprintln(e.stdout, "\nSummary:")
	for _, h := range sum.Hosts {
		line := fmt.Sprintf("  %-16s %-9s %d/%d changes applied", h.Host, h.Outcome, h.Applied, h.Planned)
		if h.Failed != "" {
			line += " (failed at " + h.Failed + ")"
		}
		fmt.Fprintln(e.stdout, line)
		if h.Error != "" {
			fmt.Fprintf(e.stdout, "  %-16s %s\n", "", oneLineErr(h.Error))
		}
		if h.Hint != "" {
			fmt.Fprintf(e.stdout, "  %-16s hint: %s\n", "", h.Hint)
		}
	}
	for _, ro := range sum.Rollouts {
		fmt.Fprintf(e.stdout, "  stack.%s (%s): new version on %s", ro.Stack, ro.Strategy, replicaList(ro.Updated))
		if len(ro.Previous) > 0 {
			fmt.Fprintf(e.stdout, "; previous version on %s", replicaList(ro.Previous))
		}
		fmt.Fprintln(e.stdout)
		if ro.Error != "" {
			fmt.Fprintf(e.stdout, "  %-16s %s\n", "", oneLineErr(ro.Error))
		}
	}
	if n := sum.Failed(); n > 0 {
		fmt.Fprintf(e.stdout, "%d of %d hosts did not finish; run 'berth apply' again once they are fixed: it converges from where they stopped.\n", n, len(sum.Hosts))
	}
}

// replicaList names replicas with their hosts: "h1 (replica 1), h2 (replica 2)", or "none".
func replicaList(rs []schedule.ReplicaRef) string {
	if len(rs) == 0 {
		return "none"
	}
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s (replica %d)", r.Host, r.Index))
	}
	return strings.Join(out, ", ")
}
