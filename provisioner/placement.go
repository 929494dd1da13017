package provisioner

import (
	"errors"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/hashicorp/hcl/v2"
)

// PlacementFilePath is where the placement file (berth.lock.json) of an inventory lives.
func PlacementFilePath(inv *inventory.Inventory) string {
	return filepath.Join(inv.Dir, schedule.PlacementFileName)
}

// WritePlacement records, after an apply of s, where the stacks run now in the placement file
// beside the inventory (berth.lock.json, for review in the next pull request): what the apply
// carried out, never what was only planned (see Session.Realized), so a failed, interrupted
// or limited apply leaves a file that describes the hosts. berth apply and runbook apply steps
// both call it: the file is written in one place, one way.
func WritePlacement(inv *inventory.Inventory, s *Session) error {
	if s.Plan.Placement == nil || (len(s.Plan.Placement.Stacks) == 0 && len(s.current.Stacks) == 0) {
		return nil
	}
	return schedule.WritePlacementFile(PlacementFilePath(inv), schedule.NewPlacementFile(s.Realized()))
}

// CurrentAssignment reads the placement lock beside the inventory; no file means a first run.
func CurrentAssignment(inv *inventory.Inventory) (schedule.Assignment, error) {
	lf, err := schedule.ReadPlacementFile(PlacementFilePath(inv))
	if errors.Is(err, fs.ErrNotExist) {
		return schedule.Assignment{}, nil
	}
	if err != nil {
		return schedule.Assignment{}, err
	}
	return lf.Assignment(), nil
}

// PlacementRequest builds the scheduler's input. Hosts not observed in this run (outside
// --limit, or unreachable) count with their declared capacity and no known used ports, so
// their current placements are kept rather than moved: unreachable is not drained.
func PlacementRequest(inv *inventory.Inventory, fs map[string]*facts.Facts, current schedule.Assignment) schedule.Request {
	req := schedule.Request{Current: current}
	for _, h := range inv.Hosts {
		sh := schedule.Host{
			Name: h.Name, Labels: h.Labels, Drain: h.Drain,
			Capacity:  schedule.Resources{CPUs: h.Capacity.CPUs, Memory: h.Capacity.Memory},
			PortRange: schedule.PortRange{From: h.PortRange.From, To: h.PortRange.To},
		}
		if f := fs[h.Name]; f != nil {
			sh.UsedPorts = f.Ports
			if sh.Capacity.CPUs == 0 {
				sh.Capacity.CPUs = float64(f.CPUs)
			}
			if sh.Capacity.Memory == 0 {
				sh.Capacity.Memory = f.Memory.Total
			}
		}
		req.Hosts = append(req.Hosts, sh)
	}
	for _, s := range inv.Stacks {
		ss := schedule.Stack{
			Name: s.Name, Replicas: s.Replicas, Hosts: s.Place.Hosts, Spread: s.Place.Spread,
			Resources: schedule.Resources{CPUs: s.Resources.CPUs, Memory: s.Resources.Memory},
			Standby:   keepsStandby(inv, s),
		}
		if s.Mode == inventory.ModeSwarm {
			// Swarm places the replicas; the scheduler numbers its ports (see SwarmResources).
			ss = schedule.Stack{Name: s.Name, Replicas: s.Replicas, Hosts: s.Place.Hosts, Swarm: true}
		}
		for _, p := range s.Ports {
			ss.Ports = append(ss.Ports, schedule.Port{Name: p.Name, Container: p.Container, Host: p.Host})
		}
		req.Stacks = append(req.Stacks, ss)
	}
	return req
}

// Place runs the scheduler and turns its problems into diagnostics at the stack's source.
func Place(inv *inventory.Inventory, fs map[string]*facts.Facts, current schedule.Assignment) (schedule.Assignment, hcl.Diagnostics) {
	a, problems := schedule.Place(PlacementRequest(inv, fs, current))
	a.SwarmManager = SwarmManager(inv, fs)
	var diags hcl.Diagnostics
	for _, p := range problems {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "cannot place stack " + p.Stack, Detail: p.Error()}
		if p.Stack == "" {
			d.Summary = "placement: " + p.Summary
		}
		for _, s := range inv.Stacks {
			if s.Name == p.Stack {
				r := s.DeclRange
				d.Subject = &r
			}
		}
		if h := inv.Host(p.Host); h != nil {
			r := h.DeclRange
			d.Subject = &r
		}
		diags = append(diags, d)
	}
	return a, diags
}

// WithDeployed adds to the current assignment the stacks whose manifests were found on hosts
// but that the lock file does not place there (a lost or older lock file, a run that stopped
// before writing it): what actually runs on the hosts counts as current, so Place keeps it
// when it still fits and removes it when the inventory no longer wants it. Their ports are
// unknown and picked again.
func WithDeployed(current schedule.Assignment, deployed map[string][]string) schedule.Assignment {
	out := schedule.Assignment{Stacks: append([]schedule.StackPlacement(nil), current.Stacks...)}
	for _, host := range slices.Sorted(maps.Keys(deployed)) {
		for _, name := range deployed[host] {
			i := slices.IndexFunc(out.Stacks, func(s schedule.StackPlacement) bool { return s.Name == name })
			if i < 0 {
				out.Stacks = append(out.Stacks, schedule.StackPlacement{Name: name})
				i = len(out.Stacks) - 1
			}
			sp := &out.Stacks[i]
			if slices.ContainsFunc(sp.Replicas, func(r schedule.Replica) bool { return r.Host == host }) {
				continue
			}
			next := 0
			for _, r := range sp.Replicas {
				next = max(next, r.Index+1)
			}
			sp.Replicas = append(append([]schedule.Replica(nil), sp.Replicas...), schedule.Replica{Index: next, Host: host, Status: schedule.Kept})
		}
	}
	return out
}
