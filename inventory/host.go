package inventory

import (
	"github.com/berth-dev/berth/cert"

	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// addressRule is what a host address may look like: a DNS name, an IPv4 address or an IPv6
// address (optionally in brackets, with a zone). Above all it may not start with '-', which
// ssh would read as an option (-oProxyCommand=...).
var addressRule = regexp.MustCompile(`^[A-Za-z0-9_\[][A-Za-z0-9_.:%\[\]-]*$`)

// sshUserRule is a POSIX-ish user name.
var sshUserRule = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)

func checkAddress(addr string) string {
	switch {
	case addr == "":
		return "The address is empty."
	case strings.HasPrefix(addr, "-"):
		return "The address starts with '-', so ssh would read it as an option (for example -oProxyCommand=...)."
	case hasControl(addr):
		return "The address contains whitespace or control characters."
	case !addressRule.MatchString(addr):
		return "The address may contain only letters, digits and . _ - : % [ ] (a DNS name or an IP address)."
	}
	return ""
}

// hosts decodes every host block, merging ssh settings with the defaults.
func (l *loader) hosts() {
	seen := map[string]*Host{}
	for _, b := range l.blocks["host"] {
		h := l.host(b)
		if prev, ok := seen[h.Name]; ok {
			l.diags = append(l.diags, duplicate("host", h.Name, prev.DeclRange, b.DefRange))
			continue
		}
		seen[h.Name] = h
		l.inv.Hosts = append(l.inv.Hosts, h)
	}
	sort.Slice(l.inv.Hosts, func(i, j int) bool { return l.inv.Hosts[i].Name < l.inv.Hosts[j].Name })
	if len(l.inv.Hosts) == 0 && len(l.blocks["host"]) == 0 && len(l.blocks["source"]) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "No hosts",
			Detail: "The inventory declares no host block, so nothing will be provisioned."})
	}
}

func (l *loader) host(b *hcl.Block) *Host {
	d := l.inv.Defaults
	h := &Host{Name: b.Labels[0], Labels: map[string]string{}, Vars: map[string]string{},
		SSH: d.SSH, Become: d.Become, PortRange: d.PortRange, DeclRange: b.DefRange}
	if diag := checkName("host", h.Name, nameRule, b.LabelRanges[0]); diag != nil {
		l.diags = append(l.diags, diag)
	}
	c := l.content(b, hostSchema)
	a := l.attrsIn(c, l.ctx)
	if a.str("address", &h.Address) {
		if msg := checkAddress(h.Address); msg != "" {
			a.fail("address", "Invalid host address", "%s is not a usable address for host %q. %s", quoteSafe(h.Address), h.Name, msg)
		}
	}
	if a.strMap("labels", &h.Labels) {
		l.checkLabels(a, h.Labels)
	}
	a.strMap("vars", &h.Vars)
	l.capacity(a, h)
	a.boolean("become", &h.Become)
	a.boolean("drain", &h.Drain)
	l.portRange(a, &h.PortRange)
	for _, sb := range c.Blocks {
		l.ssh(sb, &h.SSH)
	}
	return h
}

func (l *loader) checkLabels(a attrs, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		if !labelKeyRule.MatchString(k) {
			a.fail("labels", "Invalid label key", "The label key %s is not valid: it starts with a letter or digit and contains letters, digits, '.', '_', '/' and '-'.", quoteSafe(k))
		}
		if hasControl(labels[k]) || strings.ContainsAny(labels[k], ",=") {
			a.fail("labels", "Invalid label value", "The value of label %q may not contain whitespace, control characters, ',' or '=' (selectors could not match it).", k)
		}
	}
}

func (l *loader) capacity(a attrs, h *Host) {
	v, ok := a.value("capacity", cty.DynamicPseudoType)
	if !ok {
		return
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		a.fail("capacity", "Incorrect attribute value type", "capacity is an object such as { cpus = 4, memory = \"8GiB\" }.")
		return
	}
	for k, e := range v.AsValueMap() {
		switch k {
		case "cpus":
			l.capacityCPUs(a, e, h)
		case "memory":
			l.capacityMemory(a, e, h)
		default:
			a.fail("capacity", "Unsupported capacity", "capacity has no %q: it takes cpus and memory.%s", k, suggest(k, []string{"cpus", "memory"}))
		}
	}
}

func (l *loader) capacityCPUs(a attrs, e cty.Value, h *Host) {
	n, err := convert.Convert(e, cty.Number)
	if err == nil && !n.IsNull() && n.IsKnown() {
		h.Capacity.CPUs, _ = n.AsBigFloat().Float64()
	}
	if err != nil || h.Capacity.CPUs <= 0 {
		a.fail("capacity", "Invalid capacity", "capacity.cpus must be a positive number of CPUs.")
	}
}

func (l *loader) capacityMemory(a attrs, e cty.Value, h *Host) {
	if e.Type() == cty.Number && e.IsKnown() && !e.IsNull() {
		f, _ := e.AsBigFloat().Float64()
		h.Capacity.Memory = int64(f)
		return
	}
	s, err := convert.Convert(e, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		a.fail("capacity", "Invalid size", "capacity.memory must be a size such as \"8GiB\".")
		return
	}
	n, perr := parseSize(s.AsString())
	if perr != nil {
		a.fail("capacity", "Invalid size", "capacity.memory: %s.", perr)
		return
	}
	h.Capacity.Memory = n
}

func (l *loader) portRange(a attrs, dst *PortRange) {
	var s string
	if !a.str("port_range", &s) {
		return
	}
	r, err := parsePortRange(s)
	if err != nil {
		a.fail("port_range", "Invalid port range", "%s.", err)
		return
	}
	*dst = r
}

// ssh decodes an ssh block over the settings it inherits.
func (l *loader) ssh(b *hcl.Block, s *SSH) {
	c := l.content(b, sshSchema)
	a := l.attrsIn(c, l.ctx)
	if a.str("user", &s.User) && !sshUserRule.MatchString(s.User) {
		a.fail("user", "Invalid ssh user", "%s is not a valid user name (letters, digits, '_', '.', '-'; not starting with '-').", quoteSafe(s.User))
	}
	if a.integer("port", &s.Port) {
		if err := checkPort(s.Port); err != nil {
			a.fail("port", "Invalid ssh port", "%s.", err)
		}
	}
	a.str("identity", &s.Identity)
	if a.str("jump", &s.Jump) {
		hostPart := s.Jump
		if i := strings.LastIndex(hostPart, "@"); i >= 0 {
			hostPart = hostPart[i+1:]
		}
		if msg := checkAddress(hostPart); msg != "" || strings.HasPrefix(s.Jump, "-") {
			a.fail("jump", "Invalid jump host", "%s is not a usable jump host. %s", quoteSafe(s.Jump), msg)
		}
	}
	a.str("known_hosts", &s.KnownHosts)
	a.duration("connect_timeout", &s.ConnectTimeout)
	a.oneOf("transport", &s.Transport, "agent", "ssh")
}

// defaults decodes the defaults block (at most one).
func (l *loader) defaults() {
	d := &l.inv.Defaults
	d.Become, d.StackRoot, d.PortRange = true, "/srv/berth", PortRange{From: 20000, To: 29999}
	d.AptLockTimeout = 2 * time.Minute
	d.ExpiryWarning = cert.DefaultWarning
	d.SSH.Transport = "agent"
	bs := l.blocks["defaults"]
	for i, b := range bs {
		if i > 0 {
			l.diags = append(l.diags, duplicate("defaults block", "defaults", bs[0].DefRange, b.DefRange))
			continue
		}
		c := l.content(b, defaultsSchema)
		a := l.attrsIn(c, l.ctx)
		a.boolean("become", &d.Become)
		l.portRange(a, &d.PortRange)
		a.duration("apt_lock_timeout", &d.AptLockTimeout)
		expiryWarning(a, &d.ExpiryWarning)
		if a.str("stack_root", &d.StackRoot) && !strings.HasPrefix(d.StackRoot, "/") {
			a.fail("stack_root", "Invalid stack root", "stack_root must be an absolute path on the hosts, not %s.", quoteSafe(d.StackRoot))
		}
		for _, sb := range c.Blocks {
			l.ssh(sb, &d.SSH)
		}
	}
}
