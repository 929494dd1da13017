package ansible

import (
	"encoding/json"
	"fmt"
	"sort"
)

// origin is where an Ansible variable was set: a group (group_vars, [group:vars], vars: of a
// YAML group) or a host (host_vars, inline host variables).
type origin struct {
	kind string // "group" or "host"
	name string // as Ansible names it
}

func (o origin) String() string { return fmt.Sprintf("%s %q", o.kind, o.name) }

// setting is a variable's value for one host and where that value was set.
type setting struct {
	value  any
	origin origin
}

// hostVars resolves the variables of host as Ansible does: the groups it belongs to from the
// shallowest (all) to the deepest, ties broken by ansible_group_priority and then by name,
// each overriding the previous; then the host's own variables.
func (inv *Inventory) hostVars(host string, depth map[string]int) map[string]setting {
	groups := inv.groupsOf(host)
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if depth[a] != depth[b] {
			return depth[a] < depth[b]
		}
		if pa, pb := inv.priority(a), inv.priority(b); pa != pb {
			return pa < pb
		}
		return a < b
	})
	out := map[string]setting{}
	for _, g := range groups {
		if grp, ok := inv.Groups[g]; ok {
			for k, v := range grp.Vars {
				out[k] = setting{v, origin{"group", g}}
			}
		}
	}
	for k, v := range inv.HostVars[host] {
		out[k] = setting{v, origin{"host", host}}
	}
	return out
}

// priority is a group's ansible_group_priority, 1 when unset (Ansible's default).
func (inv *Inventory) priority(g string) int64 {
	grp, ok := inv.Groups[g]
	if !ok {
		return 1
	}
	n, ok := grp.Vars["ansible_group_priority"].(json.Number)
	if !ok {
		return 1
	}
	p, err := n.Int64()
	if err != nil {
		return 1
	}
	return p
}
