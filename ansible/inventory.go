package ansible

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Inventory is what `ansible-inventory --list --export` prints: hosts with their own
// variables, and groups with their hosts, children and variables.
type Inventory struct {
	HostVars map[string]map[string]any // host name -> the variables set on the host itself
	Groups   map[string]*Group
}

// Group is one Ansible group as Ansible declares it: direct hosts and child groups.
type Group struct {
	Name     string
	Hosts    []string
	Children []string
	Vars     map[string]any
}

// Parse reads the JSON of ansible-inventory --list. Numbers are kept as json.Number, so
// 8080 stays "8080" and is not turned into a float.
func Parse(data []byte) (*Inventory, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("read ansible-inventory output: %w", err)
	}
	inv := &Inventory{HostVars: map[string]map[string]any{}, Groups: map[string]*Group{}}
	for name, msg := range raw {
		if name == "_meta" {
			var meta struct {
				HostVars map[string]map[string]any `json:"hostvars"`
			}
			if err := decode(msg, &meta); err != nil {
				return nil, fmt.Errorf("read ansible-inventory output: _meta: %w", err)
			}
			for h, vars := range meta.HostVars {
				inv.HostVars[h] = vars
			}
			continue
		}
		g := &Group{Name: name}
		var body struct {
			Hosts    []string       `json:"hosts"`
			Children []string       `json:"children"`
			Vars     map[string]any `json:"vars"`
		}
		if err := decode(msg, &body); err != nil {
			return nil, fmt.Errorf("read ansible-inventory output: group %q: %w", name, err)
		}
		g.Hosts, g.Children, g.Vars = body.Hosts, body.Children, body.Vars
		inv.Groups[name] = g
	}
	for _, g := range inv.Groups {
		for _, h := range g.Hosts {
			if _, ok := inv.HostVars[h]; !ok {
				inv.HostVars[h] = map[string]any{}
			}
		}
	}
	return inv, nil
}

func decode(msg json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	return d.Decode(v)
}

// hostNames is every host, sorted.
func (inv *Inventory) hostNames() []string {
	return sortedKeys(inv.HostVars)
}

// groupsOf returns the groups host belongs to, directly or through a child group, "all"
// included.
func (inv *Inventory) groupsOf(host string) []string {
	parents := inv.parents()
	set := map[string]bool{"all": true}
	var walk func(g string)
	walk = func(g string) {
		if set[g] {
			return
		}
		set[g] = true
		for _, p := range parents[g] {
			walk(p)
		}
	}
	for _, g := range sortedKeys(inv.Groups) {
		for _, h := range inv.Groups[g].Hosts {
			if h == host {
				walk(g)
			}
		}
	}
	return sortedKeys(set)
}

// members returns the hosts of g and of its descendants, sorted: berth groups do not nest,
// so a parent group lists the hosts of its children.
func (inv *Inventory) members(g string) []string {
	set, seen := map[string]bool{}, map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		grp, ok := inv.Groups[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		for _, h := range grp.Hosts {
			set[h] = true
		}
		for _, c := range grp.Children {
			walk(c)
		}
	}
	walk(g)
	return sortedKeys(set)
}

// parents maps each group to the groups that list it as a child.
func (inv *Inventory) parents() map[string][]string {
	p := map[string][]string{}
	for _, name := range sortedKeys(inv.Groups) {
		for _, c := range inv.Groups[name].Children {
			p[c] = append(p[c], name)
		}
	}
	return p
}

// depths is each group's depth as Ansible counts it: all is 0, a child is one deeper than its
// deepest parent. Deeper groups' variables win over shallower ones.
func (inv *Inventory) depths() map[string]int {
	d := map[string]int{}
	var walk func(string, int, map[string]bool)
	walk = func(g string, depth int, path map[string]bool) {
		if path[g] { // a cycle: Ansible refuses them; do not loop
			return
		}
		if cur, ok := d[g]; ok && cur >= depth {
			return
		}
		d[g] = depth
		path[g] = true
		if grp, ok := inv.Groups[g]; ok {
			for _, c := range grp.Children {
				walk(c, depth+1, path)
			}
		}
		delete(path, g)
	}
	walk("all", 0, map[string]bool{})
	for _, g := range sortedKeys(inv.Groups) {
		if _, ok := d[g]; !ok {
			walk(g, 1, map[string]bool{})
		}
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
