package inventory

import (
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// finishStack checks what needs the compose project: which service publishes each port, and
// the resources one replica needs when the stack does not say.
func (l *loader) finishStack(sd *stackDecl) {
	s := sd.s
	if s.Project == nil {
		return
	}
	for i := range s.Ports {
		l.portService(s, &s.Ports[i])
	}
	l.composePorts(sd)
	l.checkNetworkMode(s)
	if s.Resources == (Resources{}) {
		s.Resources = composeResources(s.Project)
	}
	if s.Mode == ModeSwarm {
		l.swarmStack(sd)
	}
}

// portService finds the compose service a port belongs to: the one named, else the only
// service that publishes or exposes the container port, else the only service.
func (l *loader) portService(s *Stack, p *Port) {
	if p.Service != "" {
		if off, ok := s.Project.DisabledServices[p.Service]; ok {
			l.diags = append(l.diags, errorf(p.DeclRange, "Service in an inactive profile",
				"Port %q of stack %q names service %q, which is only in profile %s, and the stack activates %s. Add the profile to the stack's profiles, or name another service.", p.Name, s.Name, p.Service, quoteList(off.Profiles), activeProfiles(s)))
			return
		}
		if _, ok := s.Project.Services[p.Service]; !ok {
			l.diags = append(l.diags, errorf(p.DeclRange, "Unknown compose service",
				"Port %q of stack %q names service %q, which its compose project does not have.%s", p.Name, s.Name, p.Service, suggest(p.Service, serviceNames(s))))
		}
		return
	}
	var cands []string
	for _, name := range serviceNames(s) {
		if servesPort(s.Project.Services[name], p.Container) {
			cands = append(cands, name)
		}
	}
	if len(cands) == 0 && len(s.Project.Services) == 1 {
		cands = serviceNames(s)
	}
	switch len(cands) {
	case 1:
		p.Service = cands[0]
	case 0:
		l.diags = append(l.diags, errorf(p.DeclRange, "No service for port",
			"No service of stack %q publishes or exposes container port %d; add it to a service's ports or expose, or set service.%s", s.Name, p.Container, inactiveServing(s, p.Container)))
	default:
		l.diags = append(l.diags, errorf(p.DeclRange, "Ambiguous port",
			"Services %q of stack %q all use container port %d; set service to say which one port %q is.", cands, s.Name, p.Container, p.Name))
	}
}

func servesPort(svc types.ServiceConfig, port int) bool {
	for _, pc := range svc.Ports {
		if int(pc.Target) == port {
			return true
		}
	}
	return slices.Contains([]string(svc.Expose), strconv.Itoa(port))
}

// composeResources sums the reservations (else limits) of every service, times its scale.
func composeResources(p *types.Project) Resources {
	var r Resources
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		if svc.Deploy == nil {
			continue
		}
		n := 1.0
		if svc.Deploy.Replicas != nil {
			n = float64(*svc.Deploy.Replicas)
		}
		res := svc.Deploy.Resources.Reservations
		if res == nil || (res.NanoCPUs == 0 && res.MemoryBytes == 0) {
			res = svc.Deploy.Resources.Limits
		}
		if res != nil {
			r.CPUs += float64(res.NanoCPUs) * n
			r.Memory += int64(float64(res.MemoryBytes) * n)
		}
	}
	return r
}

// crossChecks are the checks that span blocks: fixed host ports against port ranges, and
// stacks asking for the same fixed host port on fewer hosts than they have replicas.
func (l *loader) crossChecks() {
	type claim struct {
		stack *Stack
		port  Port
	}
	claims := map[string][]claim{} // "proto/port"
	for _, s := range l.inv.Stacks {
		for _, p := range s.Ports {
			if p.Host == 0 {
				continue
			}
			for _, hn := range s.Place.Hosts {
				h := l.hostNamed(hn)
				if h != nil && h.PortRange.Contains(p.Host) {
					l.diags = append(l.diags, errorf(p.DeclRange, "Fixed port inside the automatic range",
						"Port %q of stack %q is fixed to host port %d, inside the automatic port range %s of host %q; the scheduler could hand it out twice. Pick a port outside the range or narrow port_range.", p.Name, s.Name, p.Host, h.PortRange, hn))
					break
				}
			}
			key := p.Protocol + "/" + strconv.Itoa(p.Host)
			claims[key] = append(claims[key], claim{s, p})
		}
	}
	for _, key := range sortedKeys(claims) {
		cs := claims[key]
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				a, b := cs[i], cs[j]
				if a.stack == b.stack {
					continue
				}
				hosts := map[string]bool{}
				for _, h := range append(append([]string{}, a.stack.Place.Hosts...), b.stack.Place.Hosts...) {
					hosts[h] = true
				}
				if need := a.stack.Replicas + b.stack.Replicas; len(hosts) < need {
					l.diags = append(l.diags, errorf(b.port.DeclRange, "Overlapping host ports",
						"Host port %d/%s is published by port %q of stack %q and by port %q of stack %q (at %s): their %d replicas need %d distinct hosts, and they may run on %d (%s).",
						b.port.Host, b.port.Protocol, b.port.Name, b.stack.Name, a.port.Name, a.stack.Name, a.port.DeclRange.String(), need, need, len(hosts), strings.Join(sortedKeys(hosts), ", ")))
				}
			}
		}
	}
	l.frontends()
}
