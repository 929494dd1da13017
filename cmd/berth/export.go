package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/swarm"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/schedule"
)

func init() {
	register(&command{
		name:    "export",
		summary: "write the inventory's stacks in another tool's format",
		subs: []*command{{
			name:    "swarm",
			summary: "write one Docker Swarm stack file per stack into OUT (no network)",
			args:    []param{required("OUT"), optional("DIR")},
			about: `Writes OUT/STACK/docker-stack.yml for every stack of the inventory in DIR, as berth
deploys Swarm stacks: replicas, placement constraint and spread, reservations, update order,
ports in host mode. Each deploys as it is with
  cd OUT/STACK && set -a && . ./.env && set +a && docker stack deploy -c docker-stack.yml STACK
The env file is copied beside it as .env (mode 0600; the stack file only has ${VAR}).
Automatic ports take their number in berth.lock.json: a Swarm stack's own, a static stack's
first replica's.
Services are constrained to nodes labelled berth.stack.STACK=true; OUT/labels.sh sets those
labels and the hosts' own. See docs/swarm.md.`,
			setup: func(fs *flag.FlagSet) action {
				f := &inventoryFlags{vars: varFlag{}, format: formatText}
				fs.Var(f.vars, "var", "set the variable `NAME=VALUE` (repeatable)")
				fs.Var(&f.varFiles, "var-file", "read variables from `FILE`, of NAME = VALUE lines (repeatable)")
				return func(e *env, in invocation) int {
					dir := "."
					if len(in.args) > 1 {
						dir = in.args[1]
					}
					return runExportSwarm(e, in.args[0], dir, f)
				}
			},
		}},
	})
}

func runExportSwarm(e *env, out, dir string, f *inventoryFlags) int {
	inv, ok := loadInventory(e, dir, f)
	if !ok {
		return exitError
	}
	current, err := provisioner.CurrentAssignment(inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %s: %v\n", provisioner.PlacementFilePath(inv), err)
		return exitError
	}
	if len(inv.Stacks) == 0 {
		fmt.Fprintf(e.stderr, "error: %s has no stack to export\n", dir)
		return exitError
	}
	var names []string
	for _, s := range inv.Stacks {
		spec, err := provisioner.SwarmStackSpec(s, lockPorts(current.Stack(s.Name)))
		if err != nil {
			fmt.Fprintf(e.stderr, "error: stack %q (%s): %v (berth.lock.json has no number for it yet: apply first, or set host)\n", s.Name, s.DeclRange.String(), err)
			return exitError
		}
		r, err := swarm.Render(spec)
		if err == nil {
			err = writeExport(filepath.Join(out, s.Name), r.File, s.Env)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "error: export stack %q (%s): %v\n", s.Name, s.DeclRange.String(), err)
			return exitError
		}
		names = append(names, s.Name)
	}
	if err := os.WriteFile(filepath.Join(out, "labels.sh"), []byte(labelScript(inv)), 0o755); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "wrote %d stack files into %s (%s) and %s\n", len(names), out, strings.Join(names, ", "), filepath.Join(out, "labels.sh"))
	return exitOK
}

// lockPorts are the host ports berth.lock.json gives a stack's automatic ports: a Swarm
// stack's own, a static stack's first replica's.
func lockPorts(sp *schedule.StackPlacement) map[string]int {
	switch {
	case sp == nil:
		return nil
	case sp.Swarm != nil:
		return sp.Swarm.Ports
	case len(sp.Replicas) > 0:
		return slices.MinFunc(sp.Replicas, func(a, b schedule.Replica) int { return a.Index - b.Index }).Ports
	}
	return nil
}

func writeExport(dir string, file []byte, env []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, swarm.StackFileName), file, 0o644); err != nil {
		return err
	}
	if len(env) == 0 {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, swarm.EnvFileName), env, 0o600)
}

// labelScript sets, on a manager, the node labels the exported stack files constrain to:
// each host's labels and berth.stack.STACK=true where the stack's place selects the host. It
// names nodes by inventory name, which is their hostname when those agree.
func labelScript(inv *inventory.Inventory) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Node labels the exported stack files need (run on a swarm manager).\nset -e\n")
	for _, h := range inv.Hosts {
		var args []string
		for _, k := range slices.Sorted(maps.Keys(h.Labels)) {
			args = append(args, "--label-add", k+"="+h.Labels[k])
		}
		for _, s := range inv.Stacks {
			if slices.Contains(s.Place.Hosts, h.Name) {
				args = append(args, "--label-add", provisioner.StackLabel(s.Name)+"=true")
			}
		}
		if len(args) > 0 {
			fmt.Fprintln(&b, modules.QuoteArgv(append(append([]string{"docker", "node", "update"}, args...), h.Name)))
		}
	}
	return b.String()
}
