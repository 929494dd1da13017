package provisioner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/apt"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/modules/service"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// BalancerResources returns the HAProxy of host h when balancers select it: the package, the
// configuration rendered from the assignment, and the service, enabled and running. Every
// balancer selecting h shares one HAProxy and one configuration. The configuration reloads
// HAProxy itself, in the balance phase; the service only makes sure HAProxy runs. A
// configuration that cannot be rendered is an error naming the balancers: the host cannot be
// planned.
func BalancerResources(inv *inventory.Inventory, h *inventory.Host, a schedule.Assignment) ([]modules.Resource, error) {
	mine := balancersOn(inv, h.Name)
	if len(mine) == 0 {
		return nil, nil
	}
	cfg := BalancerConfig(inv, mine, a)
	content, err := balancer.Render(cfg)
	if err != nil {
		return nil, fmt.Errorf("render the HAProxy configuration of %s: %w", balancerSources(mine), err)
	}
	enabled := true
	rs := []modules.Resource{apt.New(apt.Spec{Name: "haproxy", Names: []string{"haproxy"}})}
	certs := certResources(mine)
	var addrs []string
	for _, c := range certs {
		rs = append(rs, c)
		addrs = append(addrs, c.Address())
	}
	return append(rs,
		balancer.NewConfig(content, addrs...),
		service.New(service.Spec{Name: balancer.Service, Enabled: &enabled, State: "running"}),
	), nil
}

// certResources returns the certificate bundles of the TLS frontends of bs, in frontend
// name order, before the configuration that names them.
func certResources(bs []*inventory.Balancer) []*balancer.CertResource {
	var out []*balancer.CertResource
	for _, b := range bs {
		for _, f := range b.Frontends {
			if f.Certificate != nil {
				out = append(out, balancer.NewCert(frontendName(b, f, len(bs)), f.Certificate))
			}
		}
	}
	slices.SortFunc(out, func(x, y *balancer.CertResource) int { return strings.Compare(x.Address(), y.Address()) })
	return out
}

// frontendName is the HAProxy name of frontend f of balancer b on a host running n
// balancers: the block's name, prefixed with the balancer's when several share the host.
func frontendName(b *inventory.Balancer, f inventory.Frontend, n int) string {
	if n > 1 {
		return b.Name + "." + f.Name
	}
	return f.Name
}

// balancerOutside says why a stack's replicas must keep running where they are: a balancer
// routing to the stack runs on a host outside this run, so its configuration cannot follow a
// move and would send requests to a stopped replica. "" when every such balancer is reached.
func balancerOutside(inv *inventory.Inventory, stack string, reached func(host string) bool) string {
	for _, b := range inv.Balancers {
		if !slices.ContainsFunc(b.Frontends, func(f inventory.Frontend) bool { return f.Stack == stack }) {
			continue
		}
		for _, h := range b.Hosts {
			if !reached(h) {
				return fmt.Sprintf("balancer %s on %s routes to it and is not in this run", b.Name, h)
			}
		}
	}
	return ""
}

// balancersOn returns the balancers selecting host, in name order.
func balancersOn(inv *inventory.Inventory, host string) []*inventory.Balancer {
	var out []*inventory.Balancer
	for _, b := range inv.Balancers {
		if slices.Contains(b.Hosts, host) {
			out = append(out, b)
		}
	}
	return out
}

// balancerSources names balancers with their source positions, for errors.
func balancerSources(bs []*inventory.Balancer) string {
	var s []string
	for _, b := range bs {
		s = append(s, fmt.Sprintf("balancer %q (%s)", b.Name, b.DeclRange.String()))
	}
	return strings.Join(s, ", ")
}

// BalancerConfig is the HAProxy configuration of one host running balancers bs: a frontend
// per frontend block, a backend per stack port they route to, and a health-checked server
// per replica of that stack at its host's address and published port. Frontend names are
// the blocks' names; when several balancers share the host they are prefixed with the
// balancer's name ("edge.web") so that two balancers may both have a "web".
func BalancerConfig(inv *inventory.Inventory, bs []*inventory.Balancer, a schedule.Assignment) balancer.Config {
	var cfg balancer.Config
	var names []string
	backends := map[string]bool{}
	for _, b := range bs {
		names = append(names, b.Name)
		for _, f := range b.Frontends {
			be := balancer.BackendName(f.Stack, f.Port)
			name := frontendName(b, f, len(bs))
			fe := balancer.Frontend{Name: name, Bind: f.Bind, Backend: be, RedirectHTTP: f.RedirectHTTP}
			if f.Certificate != nil {
				fe.Certificate = balancer.CertPath(name)
			}
			cfg.Frontends = append(cfg.Frontends, fe)
			if !backends[be] {
				backends[be] = true
				s := inv.Stack(f.Stack)
				swarmed := s != nil && s.Mode == inventory.ModeSwarm
				cfg.Backends = append(cfg.Backends, balancer.Backend{Name: be, Servers: backendServers(inv, f, a), RetryIdempotent: swarmed})
			}
		}
	}
	cfg.Name = strings.Join(names, ":")
	return cfg
}

// backendServers lists the replicas of the frontend's stack. A replica whose host left the
// inventory has no address to send to and is left out; the stack has no placement before
// its first apply, and the backend then has no server.
func backendServers(inv *inventory.Inventory, f inventory.Frontend, a schedule.Assignment) []balancer.Server {
	if s := inv.Stack(f.Stack); s != nil && s.Mode == inventory.ModeSwarm {
		return swarmServers(inv, s, f.Port, a)
	}
	sp := a.Stack(f.Stack)
	if sp == nil {
		return nil
	}
	var out []balancer.Server
	for _, r := range sp.Replicas {
		h := inv.Host(r.Host)
		port, ok := r.Ports[f.Port]
		if h == nil || !ok {
			continue
		}
		out = append(out, balancer.Server{Name: balancer.ServerName(f.Stack, r.Index), Address: serverAddress(h), Port: port})
	}
	return out
}

// serverAddress is where balancers reach a replica on h.
func serverAddress(h *inventory.Host) string {
	if h == nil {
		return ""
	}
	if h.Address == "" { // as the SSH transport does; an ssh_config HostName is not consulted
		return h.Name
	}
	return h.Address
}
