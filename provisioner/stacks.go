package provisioner

import (
	"fmt"
	"os"
	"os/user"
	"path"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/apt"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/modules/swarm"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// BuildOptions are what resources need from the machine running berth, beyond the inventory.
type BuildOptions struct {
	// LocalImages and Save serve stacks with images = "ship" (see LocalImages).
	LocalImages map[string]stack.LocalImage
	Save        stack.SaveFunc
	// ForceRecreate recreates every stack placed on a host, changed or not (the command
	// line's --force-recreate; a stack's force_recreate does the same for that stack).
	ForceRecreate bool
	// Operator ("user@machine") is recorded in each deployed version; default: who runs berth.
	Operator string
}

// Resources is the default Builder, without local images (see NewBuilder).
func Resources(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
	return NewBuilder(BuildOptions{})(inv, h, f, a)
}

// NewBuilder returns the Builder: a host's host layer, then removals of stacks that leave it,
// the stack replicas placed on it, and its HAProxy when balancers select it. The order within a
// phase is the order here; phases order removals last and balancers in between (see
// modules.Phased).
func NewBuilder(o BuildOptions) Builder {
	o.Operator = orOperator(o.Operator)
	cs := &clusters{} // what the swarm's hosts share in this run (join tokens)
	return func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		rs := HostLayer(inv, h, f)
		sw, err := SwarmResources(inv, h, cs, a)
		if err != nil {
			return nil, err
		}
		rs = append(rs, sw...)
		rs = append(rs, StackRemovals(inv, h.Name, a)...)
		rs = append(rs, StackReplicas(inv, h, f, a, o)...)
		lb, err := BalancerResources(inv, h, a)
		if err != nil {
			return nil, err
		}
		rs = append(rs, lb...)
		for _, r := range rs {
			if p, ok := r.(*apt.Resource); ok {
				p.SetDpkgLockTimeout(inv.Defaults.AptLockTimeout)
			}
		}
		return rs, nil
	}
}

// StackReplicas returns the stack resources of the replicas placed on host h.
func StackReplicas(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment, o BuildOptions) []modules.Resource {
	var rs []modules.Resource
	for _, s := range inv.Stacks {
		sp := a.Stack(s.Name)
		if sp == nil {
			continue
		}
		for _, r := range sp.Replicas {
			if r.Host != h.Name {
				continue
			}
			rs = append(rs, stack.New(stackSpec(inv, s, h, f, r, o)))
		}
	}
	return rs
}

// stackSpec is the desired state of replica r of stack s on host h.
func stackSpec(inv *inventory.Inventory, s *inventory.Stack, h *inventory.Host, f *facts.Facts, r schedule.Replica, o BuildOptions) stack.Spec {
	return stack.Spec{
		Name:           s.Name,
		Dir:            s.Dir(),
		ComposeFile:    s.ComposeFile,
		ComposeVersion: s.ComposeVersion,
		Source:         s.SourceFile,
		SourceText:     s.SourceText,
		Profiles:       s.Profiles,
		Built:          builtRefs(s),
		CheckCompose:   f.Compose.Variant != "",
		ConfigFiles:    s.ConfigFiles,
		Env:            s.Env,
		Project:        s.Project,
		Ports:          publishedPorts(s, h, r),
		Images:         s.Images,
		ForceRecreate:  s.ForceRecreate || o.ForceRecreate,
		PruneImages:    s.PruneImages,
		HealthTimeout:  s.Health.Timeout,
		Compose:        composeFor(h, f),
		Replica:        r.Index,
		LocalImages:    o.LocalImages,
		Save:           o.Save,
		Operator:       o.Operator,
		Keep:           s.Update.Keep,
		StartFirst:     r.Beside,
	}
}

// RollbackBuilder is the Builder of `berth rollback STACK`: on each host, only the rollback
// of the stack's replica placed there (see stack.Revert); for a Swarm stack, on the acting
// manager, the rollback of its services to their previous spec (see swarm.Rollback).
// Nothing else is planned.
func RollbackBuilder(name string, o BuildOptions) Builder {
	o.Operator = orOperator(o.Operator)
	return func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		s, sp := inv.Stack(name), a.Stack(name)
		if s != nil && s.Mode == inventory.ModeSwarm {
			if inv.InSwarm(h.Name) && actingManager(inv, a) == h.Name {
				return []modules.Resource{swarm.NewRollback(name, s.Health.Timeout)}, nil
			}
			return nil, nil
		}
		if s == nil || sp == nil {
			return nil, nil
		}
		var rs []modules.Resource
		for _, r := range sp.Replicas {
			if r.Host == h.Name {
				rs = append(rs, stack.Revert(stackSpec(inv, s, h, f, r, o)))
			}
		}
		return rs, nil
	}
}

// orOperator is who runs berth, for the manifests: "user@machine".
func orOperator(op string) string {
	if op != "" {
		return op
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// StackRemovals returns removals for replicas that leave host: removed from the
// assignment (fewer replicas, or the stack left the inventory) or moved elsewhere. Each says
// why, as it is: a replica that moves is not "no longer in the inventory". Removal stops
// containers and keeps volumes.
func StackRemovals(inv *inventory.Inventory, host string, a schedule.Assignment) []modules.Resource {
	var rs []modules.Resource
	for _, sp := range a.Stacks {
		dir := path.Join(inv.Defaults.StackRoot, sp.Name) // a stack the inventory dropped
		s := inv.Stack(sp.Name)
		if s != nil {
			dir = s.Dir()
		}
		var why []string
		for _, r := range sp.Removed {
			switch {
			case r.Host != host:
			case s == nil:
				why = append(why, fmt.Sprintf("stack %s is no longer in the inventory", sp.Name))
			case s.Mode == inventory.ModeSwarm:
				why = append(why, fmt.Sprintf("stack %s moves to Swarm: its static replica %d stops once the swarm's deploy ran (volumes stay on this host)", sp.Name, r.Index))
			default:
				why = append(why, fmt.Sprintf("replica %d of stack %s is removed (%s)", r.Index, sp.Name, r.Reason))
			}
		}
		for _, r := range sp.Replicas {
			if r.Status == schedule.Moved && r.From == host {
				why = append(why, fmt.Sprintf("replica %d of stack %s moves to %s (%s)", r.Index, sp.Name, r.Host, r.Reason))
			}
		}
		if len(why) > 0 {
			rs = append(rs, stack.Removal(sp.Name, dir, strings.Join(why, "; ")))
		}
	}
	return rs
}

func publishedPorts(s *inventory.Stack, h *inventory.Host, r schedule.Replica) map[string]stack.PublishedPort {
	out := map[string]stack.PublishedPort{}
	for _, p := range s.Ports {
		bind := p.Bind
		if bind == inventory.BindAddress {
			bind = h.Address
		}
		out[p.Name] = stack.PublishedPort{Name: p.Name, Service: p.Service, Container: p.Container, Host: r.Ports[p.Name], Protocol: p.Protocol, Bind: bind}
	}
	return out
}

func builtRefs(s *inventory.Stack) []string {
	var refs []string
	for _, b := range s.Builds {
		refs = append(refs, b.Tag)
	}
	return refs
}

// composeFor picks how a host runs compose. Facts decide when compose is installed; before
// that (first apply), the host layer is about to install it, and the distribution says which
// generation that will be: Debian 12 and older package compose v1, later ones v2.
func composeFor(h *inventory.Host, f *facts.Facts) stack.Compose {
	switch {
	case f.Compose.Variant == "v2":
		return stack.Compose{Generation: stack.V2, Argv: []string{"docker", "compose"}}
	case f.Compose.Variant == "v1" && strings.HasPrefix(f.Compose.Version, "1."):
		return stack.Compose{Generation: stack.V1, Argv: []string{"docker-compose"}}
	case f.Compose.Variant == "v1":
		// Debian 13 packages compose v2 as the docker-compose command.
		return stack.Compose{Generation: stack.V2, Argv: []string{"docker-compose"}}
	case h.Docker != nil && h.Docker.Source == "docker":
		return stack.Compose{Generation: stack.V2, Argv: []string{"docker", "compose"}}
	}
	switch f.OS.Codename {
	case "bookworm", "bullseye", "buster", "jammy", "focal":
		return stack.Compose{Generation: stack.V1, Argv: []string{"docker-compose"}}
	}
	return stack.Compose{Generation: stack.V2, Argv: []string{"docker-compose"}}
}
