package inventory

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/secret"
)

// Source is a source block: hosts that are listed from another system (vSphere) rather than
// written as host blocks. The loader only decodes it; the listing itself is done by a Lister
// that the commands which connect pass in Options, so that loading stays free of network I/O
// and `berth validate` stays offline.
type Source struct {
	Kind string // "vsphere"
	Name string
	// VSphere holds the settings of a vsphere source.
	VSphere *VSphere
	// Hosts is what every listed host starts from: ssh, become and port_range from the
	// defaults block and the source's own, plus the source's static labels.
	Hosts HostDefaults
	// Listed is true when a Lister listed the source in this load; then HostNames are the
	// hosts it produced and From says how (live or from a snapshot).
	Listed    bool
	HostNames []string
	From      string
	DeclRange hcl.Range
}

// Address is how a source is named in messages and in Host.Source: "vsphere.prod".
func (s *Source) Address() string { return s.Kind + "." + s.Name }

// HostDefaults are the settings a source gives to every host it lists.
type HostDefaults struct {
	SSH       SSH
	Become    bool
	PortRange PortRange
	Labels    map[string]string
}

// VSphere are the settings of a vsphere source: where to log in, which VMs to list and how to
// turn them into hosts.
type VSphere struct {
	URL      string // https://vcenter.example.net/sdk (the /sdk path is added when absent)
	Username string
	Password secret.Bytes // from a sensitive variable only; may be empty offline
	// Insecure skips the certificate check; CACert (PEM) trusts a private CA instead.
	Insecure bool
	CACert   []byte
	// Thumbprint pins the server certificate's SHA-1 thumbprint, as vSphere shows it.
	Thumbprint string
	Datacenter string
	// Folders and ResourcePools are inventory paths (relative to the datacenter, or absolute)
	// searched recursively; neither means the datacenter's whole vm folder.
	Folders       []string
	ResourcePools []string
	// Tags filters by vSphere tags, each "category/tag": a VM must carry all of them.
	Tags []string
	// Attributes filters by custom attributes: a VM must have each with that value.
	Attributes map[string]string
	// Network takes the address from the guest IP on that network (VMware Tools report it);
	// AddressRule builds it from the name instead ("{{name}}.example.net").
	Network     string
	AddressRule string
	// LabelAttributes are the custom attributes that become labels (tags always do).
	LabelAttributes []string
	Timeout         time.Duration
}

// Lister lists a source's hosts. It is given by the commands that connect (see Options); a
// failure fails the load with a diagnostic at the source block.
type Lister func(*Source) (*Listing, error)

// Listing is what a Lister found.
type Listing struct {
	Hosts []ListedHost
	// Skipped are the objects left out, with the reason ("vm-12 (app-9): powered off").
	Skipped []string
	// From says where the listing came from: "vCenter" or "snapshot of 2025-... (12m old)".
	From string
}

// ListedHost is one host as a source describes it.
type ListedHost struct {
	Name     string            `json:"name"`
	Address  string            `json:"address"`
	Labels   map[string]string `json:"labels,omitempty"`
	Capacity Capacity          `json:"capacity"`
	// Origin is where the source has it, for `berth hosts list`: "vm-42 /DC0/vm/app/app-01".
	Origin string `json:"origin,omitempty"`
}

var sourceSchemas = map[string]*hcl.BodySchema{"vsphere": vsphereSchema}

var vsphereSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true}, {Name: "username", Required: true}, {Name: "password", Required: true},
		{Name: "insecure"}, {Name: "ca_cert"}, {Name: "thumbprint"}, {Name: "datacenter"},
		{Name: "folders"}, {Name: "resource_pools"}, {Name: "tags"}, {Name: "attributes"},
		{Name: "network"}, {Name: "address"}, {Name: "label_attributes"}, {Name: "labels"},
		{Name: "become"}, {Name: "port_range"}, {Name: "timeout"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "ssh"}},
}

// sources decodes the source blocks and, when Options.List is set, lists them and adds the
// hosts they produce beside the written ones.
func (l *loader) sources() {
	seen := map[string]*Source{}
	for _, b := range l.blocks["source"] {
		s := l.source(b)
		if s == nil {
			continue
		}
		if prev, ok := seen[s.Address()]; ok {
			l.diags = append(l.diags, duplicate("source", s.Address(), prev.DeclRange, b.DefRange))
			continue
		}
		seen[s.Address()] = s
		l.inv.Sources = append(l.inv.Sources, s)
	}
	if l.opts.List == nil || l.diags.HasErrors() {
		return
	}
	for _, s := range l.inv.Sources {
		l.list(s)
	}
	sort.Slice(l.inv.Hosts, func(i, j int) bool { return l.inv.Hosts[i].Name < l.inv.Hosts[j].Name })
}

func (l *loader) source(b *hcl.Block) *Source {
	kind, name := b.Labels[0], b.Labels[1]
	schema, ok := sourceSchemas[kind]
	if !ok {
		l.diags = append(l.diags, errorf(b.LabelRanges[0], "Unknown source kind",
			"berth lists hosts from \"vsphere\" sources, not %s.%s", quoteSafe(kind), suggest(kind, []string{"vsphere"})))
		return nil
	}
	if d := checkName("source", name, nameRule, b.LabelRanges[1]); d != nil {
		l.diags = append(l.diags, d)
	}
	d := l.inv.Defaults
	s := &Source{Kind: kind, Name: name, DeclRange: b.DefRange,
		Hosts: HostDefaults{SSH: d.SSH, Become: d.Become, PortRange: d.PortRange, Labels: map[string]string{}}}
	c := l.content(b, schema)
	a := l.attrsIn(c, l.ctx)
	s.VSphere = l.vsphere(a)
	if a.strMap("labels", &s.Hosts.Labels) {
		l.checkLabels(a, s.Hosts.Labels)
	}
	a.boolean("become", &s.Hosts.Become)
	l.portRange(a, &s.Hosts.PortRange)
	for _, sb := range c.Blocks {
		l.ssh(sb, &s.Hosts.SSH)
	}
	return s
}

func (l *loader) vsphere(a attrs) *VSphere {
	v := &VSphere{Timeout: time.Minute}
	if a.str("url", &v.URL) {
		if u, err := url.Parse(v.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			a.fail("url", "Invalid vCenter URL", "url is the vCenter's address such as \"https://vcenter.example.net\" (no credentials in it), not %s.", quoteSafe(v.URL))
		}
	}
	a.str("username", &v.Username)
	a.secretOK["password"] = true
	var pw string
	if a.str("password", &pw) {
		if !a.secret["password"] {
			a.fail("password", "vCenter password not sensitive",
				"The password must come from a variable declared sensitive = true (set from BERTH_VAR_..., a -var-file, from_command, or an encrypted file), never be written in the inventory.")
		}
		v.Password = secret.Bytes(pw)
	}
	a.boolean("insecure", &v.Insecure)
	var ca string
	if a.str("ca_cert", &ca) {
		if blk, _ := pem.Decode([]byte(ca)); blk == nil || blk.Type != "CERTIFICATE" {
			a.fail("ca_cert", "Invalid CA certificate", "ca_cert must be a PEM certificate (-----BEGIN CERTIFICATE-----), such as file(\"certs/vcenter-ca.pem\").")
		} else if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			a.fail("ca_cert", "Invalid CA certificate", "ca_cert does not parse: %s.", err)
		} else {
			v.CACert = []byte(ca)
		}
	}
	a.str("thumbprint", &v.Thumbprint)
	if v.Insecure && (v.CACert != nil || v.Thumbprint != "") {
		a.fail("insecure", "Conflicting TLS settings", "insecure skips the certificate check, so ca_cert and thumbprint would be ignored: use one.")
	}
	a.str("datacenter", &v.Datacenter)
	a.strList("folders", &v.Folders)
	a.strList("resource_pools", &v.ResourcePools)
	if a.strList("tags", &v.Tags) {
		for _, t := range v.Tags {
			if c, tag, ok := strings.Cut(t, "/"); !ok || c == "" || tag == "" {
				a.fail("tags", "Invalid tag filter", "Each tag is \"category/tag\", not %s.", quoteSafe(t))
			}
		}
	}
	a.strMap("attributes", &v.Attributes)
	a.strList("label_attributes", &v.LabelAttributes)
	a.duration("timeout", &v.Timeout)
	l.vsphereAddress(a, v)
	return v
}

func (l *loader) vsphereAddress(a attrs, v *VSphere) {
	a.str("network", &v.Network)
	if a.str("address", &v.AddressRule) {
		probe := strings.ReplaceAll(v.AddressRule, "{{name}}", "vm")
		if !strings.Contains(v.AddressRule, "{{name}}") || strings.Contains(probe, "{{") {
			a.fail("address", "Invalid address rule", "address is a naming rule holding {{name}} (the VM's name), such as \"{{name}}.example.net\".")
		} else if msg := checkAddress(probe); msg != "" {
			a.fail("address", "Invalid address rule", "%s does not give a usable address. %s", quoteSafe(v.AddressRule), msg)
		}
	}
	if (v.Network == "") == (v.AddressRule == "") && !l.diags.HasErrors() {
		*a.diags = append(*a.diags, errorf(a.rng("url", hcl.Range{}), "Address of listed hosts",
			"A vsphere source needs exactly one of network (the guest IP on that network, as VMware Tools report it) or address (a naming rule such as \"{{name}}.example.net\")."))
	}
}

// list runs the Lister for one source and adds its hosts; a failure is an error at the block.
func (l *loader) list(s *Source) {
	got, err := l.opts.List(s)
	if err != nil {
		l.diags = append(l.diags, errorf(s.DeclRange, "Cannot list source "+s.Address(), "%s", err))
		return
	}
	s.Listed, s.From = true, got.From
	skipped := append([]string{}, got.Skipped...)
	for _, lh := range got.Hosts {
		if h := l.listedHost(s, lh, &skipped); h != nil {
			s.HostNames = append(s.HostNames, h.Name)
		}
	}
	if len(skipped) > 0 {
		l.diags = append(l.diags, warnf(s.DeclRange, fmt.Sprintf("%s: %d skipped", s.Address(), len(skipped)),
			"%s", strings.Join(skipped, "\n")))
	}
	b, _ := json.Marshal(got.Hosts)
	l.in.addFile("<"+s.Address()+">", b) // listed hosts shape a plan as much as written ones
}

// listedHost adds one listed host. A name berth cannot use skips the host and a label it
// cannot select on is dropped, both with a note: one odd VM never fails the whole listing.
func (l *loader) listedHost(s *Source, lh ListedHost, notes *[]string) *Host {
	if !nameRule.MatchString(lh.Name) {
		*notes = append(*notes, fmt.Sprintf("%s: the name %s is not a usable host name (lower-case letters, digits, '.', '_', '-')", lh.Origin, quoteSafe(lh.Name)))
		return nil
	}
	for _, k := range sortedKeys(lh.Labels) {
		if v := lh.Labels[k]; !labelKeyRule.MatchString(k) || hasControl(v) || strings.ContainsAny(v, ",=") {
			*notes = append(*notes, fmt.Sprintf("%s: label %s=%s dropped: selectors could not match it", lh.Origin, quoteSafe(k), quoteSafe(v)))
			delete(lh.Labels, k)
		}
	}
	d := s.Hosts
	h := &Host{Name: lh.Name, Address: lh.Address, Labels: map[string]string{}, Vars: map[string]string{},
		Capacity: lh.Capacity, SSH: d.SSH, Become: d.Become, PortRange: d.PortRange, DeclRange: s.DeclRange,
		Source: s.Address(), Origin: lh.Origin}
	for k, v := range d.Labels {
		h.Labels[k] = v
	}
	for k, v := range lh.Labels {
		h.Labels[k] = v
	}
	for _, prev := range l.inv.Hosts {
		if prev.Name == h.Name {
			where := prev.DeclRange.String()
			if prev.Source != "" {
				where = prev.Source + " (" + prev.Origin + ")"
			}
			l.diags = append(l.diags, errorf(s.DeclRange, "Duplicate host",
				"%s lists a host %q (%s), but the inventory already has one: %s.", s.Address(), h.Name, lh.Origin, where))
			return nil
		}
	}
	if msg := checkAddress(h.Address); msg != "" {
		l.diags = append(l.diags, errorf(s.DeclRange, "Invalid host address",
			"%s gives host %q the address %s. %s", s.Address(), h.Name, quoteSafe(h.Address), msg))
		return nil
	}
	l.inv.Hosts = append(l.inv.Hosts, h)
	return h
}

// PendingSources names the sources declared but not listed in this load (validate).
func (inv *Inventory) PendingSources() []string {
	var out []string
	for _, s := range inv.Sources {
		if !s.Listed {
			out = append(out, s.Address())
		}
	}
	return out
}
