package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// EngineApplier applies a step through the provisioner's engine, as berth apply does, with
// three differences: the engine takes no host lock (the runbook holds them), only the
// resources the step targets are planned, and the placement is re-read before each step
// (an earlier step may have moved replicas).
type EngineApplier struct {
	// Engine is a template: it is copied for each step, its Lock, Build and Current replaced.
	Engine *provisioner.Engine
}

var _ Applier = (*EngineApplier)(nil)

// Apply implements Applier.
func (a *EngineApplier) Apply(ctx context.Context, st *inventory.Step, dryRun bool, out io.Writer) error {
	eng := *a.Engine
	inv := eng.Inventory
	cur, err := provisioner.CurrentAssignment(inv)
	if err != nil {
		return err
	}
	eng.Lock, eng.Current = nil, cur
	if len(st.Targets) > 0 {
		eng.Build = Targeted(a.Engine.Build, st.Targets)
	}
	sess := eng.Plan(ctx, applyHosts(inv, st), dryRun)
	defer sess.Close()
	provisioner.Render(out, sess.Plan)
	if err := planProblems(sess, st); err != nil {
		return err
	}
	if dryRun || sess.Plan.Count().Total() == 0 {
		return nil
	}
	sum := eng.Apply(ctx, sess)
	if err := writePlacement(inv, sess.Plan, st); err != nil {
		return err
	}
	return summaryError(out, sum)
}

func applyHosts(inv *inventory.Inventory, st *inventory.Step) []string {
	if len(st.Hosts) > 0 {
		return append([]string(nil), st.Hosts...)
	}
	var hs []string
	for _, h := range inv.Hosts {
		hs = append(hs, h.Name)
	}
	return hs
}

// planProblems refuses a plan with unreachable hosts, placement errors, or (for a targeted
// step) placement changes of stacks it does not target: applying those would record moves
// that were not carried out.
func planProblems(sess *provisioner.Session, st *inventory.Step) error {
	var errs []error
	if sess.Diags.HasErrors() {
		errs = append(errs, fmt.Errorf("placement: %s", sess.Diags.Error()))
	}
	for _, h := range sess.Plan.Hosts {
		if h.Error != "" {
			errs = append(errs, fmt.Errorf("%s: %s", h.Host, h.Error))
		}
	}
	if p := sess.Plan.Placement; p != nil && len(st.Targets) > 0 {
		for _, s := range p.Stacks {
			if stackChanged(s) && !slices.Contains(st.Targets, "stack."+s.Name) {
				errs = append(errs, fmt.Errorf("the placement of stack %s changes, but this step does not target stack.%s: add it to targets, or apply it in an earlier step", s.Name, s.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func stackChanged(s schedule.StackPlacement) bool {
	return schedule.Assignment{Stacks: []schedule.StackPlacement{s}}.Changed()
}

// writePlacement records the new placement beside the inventory, as berth apply does.
func writePlacement(inv *inventory.Inventory, p *provisioner.Plan, st *inventory.Step) error {
	if p.Placement == nil || len(p.Placement.Stacks) == 0 {
		return nil
	}
	return schedule.WriteLock(provisioner.LockPath(inv), schedule.NewLockFile(*p.Placement))
}

func summaryError(out io.Writer, sum provisioner.Summary) error {
	var failed []string
	for _, h := range sum.Hosts {
		fmt.Fprintf(out, "    %s: %s, %d/%d changes applied\n", h.Host, h.Outcome, h.Applied, h.Planned)
		if h.Error != "" {
			failed = append(failed, fmt.Sprintf("%s: %s", h.Host, oneLine(h.Error)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("apply failed on %d hosts: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// Targeted wraps a Builder so that a host gets only the resources the targets name:
// "docker" and "syslog" are those host layers (packages, files and services included),
// "stack.NAME" the stack's replica or removal, and any other address itself.
func Targeted(build provisioner.Builder, targets []string) provisioner.Builder {
	return func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		want := targetAddresses(inv, h, f, targets)
		all, err := build(inv, h, f, a)
		if err != nil {
			return nil, err
		}
		var out []modules.Resource
		for _, r := range all {
			if want[r.Address()] {
				out = append(out, r)
			}
		}
		return out, nil
	}
}

func targetAddresses(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, targets []string) map[string]bool {
	want := map[string]bool{}
	for _, t := range targets {
		var only inventory.Host
		switch t {
		case "docker":
			only.Docker = h.Docker
		case "syslog":
			only.Syslog = h.Syslog
		default:
			want[t] = true
			continue
		}
		only.Name = h.Name
		for _, r := range provisioner.HostLayer(inv, &only, f) {
			want[r.Address()] = true
		}
	}
	return want
}
