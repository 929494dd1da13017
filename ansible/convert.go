package ansible

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Import is an Ansible inventory converted to berth's blocks, ready to render with HCL.
type Import struct {
	Source   string // the -i argument, for the header comment
	Defaults SSH    // connection settings of the group all
	Hosts    []Host
	Groups   []GroupBlock
	Secrets  []Secret
	Skipped  []Skipped
}

// SSH is the ssh block of a host or of defaults; zero fields are left out.
type SSH struct {
	User     string
	Port     int64
	Identity string
	Jump     string
}

func (s SSH) empty() bool { return s == SSH{} }

// Host is a berth host block.
type Host struct {
	Name        string
	AnsibleName string // the name in Ansible, kept in a comment when it differs
	Address     string
	SSH         SSH // the settings that differ from Defaults
	Labels      map[string]string
}

// GroupBlock is a berth group: the hosts of an Ansible group and of its descendants, since
// berth groups do not nest.
type GroupBlock struct {
	Name        string
	AnsibleName string
	Members     []string // berth host names
	Children    []string // Ansible child groups, for the comment
}

// Secret is a variable whose value is not written: a sensitive berth variable to fill in.
type Secret struct {
	Variable string // the berth variable name
	Name     string // the Ansible variable
	Origin   string // group "x" or host "y"
	Why      string // vault-encrypted, or its name looks secret
}

// Skipped is an Ansible variable (or group) with no place in berth, listed in a comment.
type Skipped struct {
	Name   string
	Origin string
	Why    string
}

// Convert turns an Ansible inventory into berth blocks. It fails only when two Ansible hosts
// would get the same berth name or a host has no usable address; everything that does not
// fit is listed in Skipped.
func Convert(inv *Inventory, source string) (*Import, error) {
	c := &converter{inv: inv, depth: inv.depths(), imp: &Import{Source: source},
		secrets: map[[2]string]*Secret{}, skipped: map[Skipped]bool{}, names: map[string]string{}}
	c.defaults()
	var errs []error
	for _, h := range inv.hostNames() {
		if err := c.host(h); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(c.imp.Hosts, func(i, j int) bool { return c.imp.Hosts[i].Name < c.imp.Hosts[j].Name })
	c.groups()
	c.finish()
	return c.imp, nil
}

type converter struct {
	inv     *Inventory
	depth   map[string]int
	imp     *Import
	secrets map[[2]string]*Secret // (ansible name, origin) -> secret
	skipped map[Skipped]bool
	names   map[string]string // berth host name -> ansible name
}

// defaults takes the connection settings of the group all, which every host inherits.
func (c *converter) defaults() {
	all, ok := c.inv.Groups["all"]
	if !ok {
		return
	}
	o := origin{"group", "all"}
	for _, k := range sortedKeys(all.Vars) {
		if secret, _ := isSecret(k, all.Vars[k]); !secret && strings.HasPrefix(k, "ansible_") {
			c.connection(&c.imp.Defaults, k, all.Vars[k], o)
		}
	}
}

func (c *converter) host(name string) error {
	h := Host{Name: berthName(name), AnsibleName: name, Address: name, Labels: map[string]string{}}
	if prev, ok := c.names[h.Name]; ok {
		return fmt.Errorf("Ansible hosts %q and %q would both be named %q in berth; rename one", prev, name, h.Name)
	}
	c.names[h.Name] = name
	vars := c.inv.hostVars(name, c.depth)
	for _, k := range sortedKeys(vars) {
		s := vars[k]
		o := s.origin.String()
		if secret, why := isSecret(k, s.value); secret {
			if loginPassword[k] {
				c.skip(k, o, "a password: berth logs in with SSH keys and runs sudo -n, it needs none")
			} else {
				c.secret(k, o, why)
			}
			continue
		}
		switch {
		case k == "ansible_host" || k == "ansible_ssh_host":
			if str, ok := scalar(s.value); ok {
				h.Address = str
			}
		case strings.HasPrefix(k, "ansible_"):
			if s.origin.kind == "group" && s.origin.name == "all" {
				continue // in defaults, or skipped there
			}
			c.connection(&h.SSH, k, s.value, s.origin)
		default:
			c.label(&h, k, s)
		}
	}
	if !addressRule.MatchString(h.Address) {
		return fmt.Errorf("Ansible host %q: %q is not a usable address (a DNS name or an IP address)", name, h.Address)
	}
	c.imp.Hosts = append(c.imp.Hosts, h)
	return nil
}

// label keeps a scalar variable as a label when it fits berth's label rules.
func (c *converter) label(h *Host, k string, s setting) {
	v, ok := scalar(s.value)
	var why string
	switch {
	case !ok:
		why = "not a string, number or boolean"
	case strings.Contains(v, "{{") || strings.Contains(v, "{%"):
		why = "a Jinja template (berth does not evaluate Jinja)"
	case !labelKeyRule.MatchString(k):
		why = "not a valid label key"
	case strings.ContainsAny(v, ",=") || hasSpace(v):
		why = "the value has whitespace, ',' or '=' (not a valid label value)"
	}
	if why != "" {
		c.skip(k, s.origin.String(), why)
		return
	}
	h.Labels[k] = v
}

// loginPassword are Ansible's connection passwords: berth has no use for them (docs/ssh.md),
// so they are listed as not imported rather than turned into variables to fill in.
var loginPassword = map[string]bool{
	"ansible_password": true, "ansible_ssh_pass": true, "ansible_ssh_password": true,
	"ansible_become_password": true, "ansible_become_pass": true, "ansible_sudo_pass": true,
	"ansible_sudo_password": true,
}

var jumpArg = regexp.MustCompile(`(?:-J\s*|ProxyJump[= ])([^\s'"]+)`)

// connection maps Ansible's connection variables to an ssh block; others are skipped.
func (c *converter) connection(s *SSH, k string, v any, o origin) {
	str, _ := scalar(v)
	ok := false
	switch k {
	case "ansible_user", "ansible_ssh_user":
		if ok = sshUserRule.MatchString(str); ok {
			s.User = str
		}
	case "ansible_port", "ansible_ssh_port":
		var n json.Number
		if n, ok = v.(json.Number); !ok {
			n = json.Number(str)
		}
		p, err := n.Int64()
		if ok = err == nil && p > 0 && p < 65536; ok {
			s.Port = p
		}
	case "ansible_ssh_private_key_file", "ansible_private_key_file":
		if ok = str != "" && !strings.Contains(str, "{{"); ok {
			s.Identity = str
		}
	case "ansible_ssh_common_args", "ansible_ssh_extra_args":
		if m := jumpArg.FindStringSubmatch(str); m != nil {
			s.Jump, ok = m[1], true
		}
	case "ansible_host", "ansible_ssh_host", "ansible_group_priority":
		return // the address, taken per host; the priority, used by hostVars
	}
	if !ok {
		c.skip(k, o.String(), connectionWhy(k))
	}
}

func connectionWhy(k string) string {
	switch k {
	case "ansible_become", "ansible_become_method", "ansible_become_user":
		return "berth always uses sudo -n (see become in docs/inventory.md)"
	case "ansible_connection":
		return "berth always connects with SSH"
	case "ansible_python_interpreter":
		return "berth needs no Python on the hosts"
	case "ansible_ssh_common_args", "ansible_ssh_extra_args":
		return "no ProxyJump in it; put other ssh options in ~/.ssh/config"
	}
	return "an Ansible setting with no berth equivalent, or a value berth does not accept"
}

func (c *converter) secret(name, origin, why string) {
	k := [2]string{name, origin}
	if _, ok := c.secrets[k]; !ok {
		c.secrets[k] = &Secret{Name: name, Origin: origin, Why: why}
	}
}

func (c *converter) skip(name, origin, why string) {
	c.skipped[Skipped{Name: name, Origin: origin, Why: why}] = true
}

// groups converts every Ansible group but all and ungrouped, which berth's "*" covers.
func (c *converter) groups() {
	hostNames := map[string]bool{}
	byAnsible := map[string]string{}
	for _, h := range c.imp.Hosts {
		hostNames[h.Name] = true
		byAnsible[h.AnsibleName] = h.Name
	}
	taken := map[string]bool{}
	for _, name := range sortedKeys(c.inv.Groups) {
		if name == "all" || name == "ungrouped" {
			continue
		}
		g := GroupBlock{Name: berthName(name), AnsibleName: name, Children: c.inv.Groups[name].Children}
		for hostNames[g.Name] || taken[g.Name] {
			g.Name += "-group"
		}
		for _, m := range c.inv.members(name) {
			g.Members = append(g.Members, byAnsible[m])
		}
		if len(g.Members) == 0 {
			c.skip("", fmt.Sprintf("group %q", name), "the group has no hosts")
			continue
		}
		sort.Strings(g.Members)
		sort.Strings(g.Children)
		taken[g.Name] = true
		c.imp.Groups = append(c.imp.Groups, g)
	}
}

// finish names the secret variables and sorts what is listed.
func (c *converter) finish() {
	count := map[string]int{}
	for k := range c.secrets {
		count[berthVar(k[0])]++
	}
	keys := make([][2]string, 0, len(c.secrets))
	for k := range c.secrets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		s := c.secrets[k]
		s.Variable = berthVar(s.Name)
		if count[s.Variable] > 1 {
			s.Variable = berthVar(s.Name + "_" + originName(s.Origin))
		}
		c.imp.Secrets = append(c.imp.Secrets, *s)
	}
	for s := range c.skipped {
		c.imp.Skipped = append(c.imp.Skipped, s)
	}
	sort.Slice(c.imp.Secrets, func(i, j int) bool { return c.imp.Secrets[i].Variable < c.imp.Secrets[j].Variable })
	sort.Slice(c.imp.Groups, func(i, j int) bool { return c.imp.Groups[i].Name < c.imp.Groups[j].Name })
	sort.Slice(c.imp.Skipped, func(i, j int) bool {
		a, b := c.imp.Skipped[i], c.imp.Skipped[j]
		if a.Origin != b.Origin {
			return a.Origin < b.Origin
		}
		return a.Name < b.Name
	})
}

// berthVar is a variable name usable as var.NAME: berth's name rules without '.' and '-'.
func berthVar(s string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(berthName(s))
}

// originName is the quoted name of an origin ("group \"web\"" -> "web").
func originName(o string) string {
	_, q, _ := strings.Cut(o, " ")
	return strings.Trim(q, `"`)
}

// scalar renders a string, number or boolean as text.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// hasSpace: whitespace or control characters, which a label value may not contain.
func hasSpace(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0
}
