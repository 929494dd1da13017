package inventory

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// balancers decodes balancer blocks: HAProxy on the selected hosts, one frontend per block.
func (l *loader) balancers() {
	seen := map[string]*Balancer{}
	for _, b := range l.blocks["balancer"] {
		bl := &Balancer{Name: b.Labels[0], DeclRange: b.DefRange}
		if d := checkName("balancer", bl.Name, nameRule, b.LabelRanges[0]); d != nil {
			l.diags = append(l.diags, d)
		}
		if prev, ok := seen[bl.Name]; ok {
			l.diags = append(l.diags, duplicate("balancer", bl.Name, prev.DeclRange, b.DefRange))
			continue
		}
		seen[bl.Name] = bl
		c := l.content(b, balancerSchema)
		a := l.attrsIn(c, l.ctx)
		bl.Hosts, _ = l.selectHosts(a, "hosts")
		if a.has("image") {
			// Parsed and never used until now: refusing it says so instead of letting a user
			// believe they pinned a HAProxy version.
			a.fail("image", "Unsupported balancer image", "berth runs HAProxy from the hosts' haproxy package (its version is the distribution's), not from a container image; remove image, or pin the package with a package block.")
		}
		bl.ExpiryWarning = l.inv.Defaults.ExpiryWarning
		expiryWarning(a, &bl.ExpiryWarning)
		for _, fb := range c.Blocks {
			l.frontend(fb, bl)
		}
		l.inv.Balancers = append(l.inv.Balancers, bl)
	}
	sort.Slice(l.inv.Balancers, func(i, j int) bool { return l.inv.Balancers[i].Name < l.inv.Balancers[j].Name })
}

func (l *loader) frontend(b *hcl.Block, bl *Balancer) {
	f := Frontend{Name: b.Labels[0], DeclRange: b.DefRange}
	for _, prev := range bl.Frontends {
		if prev.Name == f.Name {
			l.diags = append(l.diags, duplicate("frontend", f.Name, prev.DeclRange, b.DefRange))
			return
		}
	}
	a := l.attrsIn(l.content(b, frontendSchema), l.ctx)
	if a.str("bind", &f.Bind) {
		if _, err := parseBind(f.Bind); err != nil {
			a.fail("bind", "Invalid bind address", "%s.", err)
		}
	}
	a.str("stack", &f.Stack)
	a.str("port", &f.Port)
	l.frontendTLS(a, b, &f)
	bl.Frontends = append(bl.Frontends, f)
}

// frontends checks that every frontend names an existing stack and one of its ports, and that
// two frontends of one balancer do not bind the same address.
func (l *loader) frontends() {
	stacks := map[string]*Stack{}
	for _, s := range l.inv.Stacks {
		stacks[s.Name] = s
	}
	for _, bl := range l.inv.Balancers {
		binds := map[string]Frontend{}
		for _, f := range bl.Frontends {
			if prev, ok := binds[f.Bind]; ok && f.Bind != "" {
				l.diags = append(l.diags, errorf(f.DeclRange, "Duplicate bind address",
					"Frontends %q and %q of balancer %q both bind %q (the first at %s).", prev.Name, f.Name, bl.Name, f.Bind, prev.DeclRange.String()))
			}
			binds[f.Bind] = f
			if prev, ok := binds[f.RedirectHTTP]; ok && f.RedirectHTTP != "" {
				l.diags = append(l.diags, errorf(f.DeclRange, "Duplicate bind address",
					"The HTTP redirect of frontend %q of balancer %q binds %q, which frontend %q binds too (at %s).", f.Name, bl.Name, f.RedirectHTTP, prev.Name, prev.DeclRange.String()))
			}
			if f.RedirectHTTP != "" {
				binds[f.RedirectHTTP] = f
			}
			l.frontendTarget(bl, f, stacks)
		}
	}
}

func (l *loader) frontendTarget(bl *Balancer, f Frontend, stacks map[string]*Stack) {
	s, ok := stacks[f.Stack]
	if !ok {
		if f.Stack != "" {
			l.diags = append(l.diags, errorf(f.DeclRange, "Unknown stack",
				"Frontend %q of balancer %q routes to stack %q, which the inventory does not declare.%s", f.Name, bl.Name, f.Stack, suggest(f.Stack, sortedKeys(stacks))))
		}
		return
	}
	var names []string
	for _, p := range s.Ports {
		if p.Name == f.Port {
			return
		}
		names = append(names, p.Name)
	}
	l.diags = append(l.diags, errorf(f.DeclRange, "Unknown stack port",
		"Frontend %q of balancer %q routes to port %q of stack %q, which has no port block of that name.%s", f.Name, bl.Name, f.Port, s.Name, suggest(f.Port, names)))
}
