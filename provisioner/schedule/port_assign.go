package schedule

import (
	"fmt"
	"sort"
	"strings"
)

// assignPorts claims the host ports of one replica of st on hs: fixed ports as declared,
// automatic ports from prefer when still usable (the replica's current or previous number),
// else the lowest free port of the range; then, for a stack that keeps standby ports, one
// more per automatic port, from standby when still usable. check must have accepted hs.
func assignPorts(st *stackState, hs *hostState, prefer, standby map[string]int) (map[string]int, map[string]int) {
	ports := assignMain(st, hs, prefer)
	if !st.spec.Standby {
		return ports, nil
	}
	out := map[string]int{}
	for _, pt := range st.spec.Ports {
		if pt.Host != 0 || ports[pt.Name] == 0 {
			continue
		}
		q, ok := standby[pt.Name]
		if !ok || q == ports[pt.Name] || !keepable(st, hs, q) {
			q = hs.lowestFree()
		}
		if q == 0 {
			continue
		}
		hs.claim(q, st.spec.Name)
		out[pt.Name] = q
	}
	if len(out) == 0 {
		return ports, nil
	}
	return ports, out
}

func assignMain(st *stackState, hs *hostState, prefer map[string]int) map[string]int {
	name := st.spec.Name
	ports := make(map[string]int, len(st.spec.Ports))
	for _, pt := range st.spec.Ports {
		if pt.Host != 0 {
			hs.claim(pt.Host, name)
			ports[pt.Name] = pt.Host
		}
	}
	for _, pt := range st.spec.Ports {
		if pt.Host != 0 {
			continue
		}
		q, ok := prefer[pt.Name]
		if !ok || !keepable(st, hs, q) {
			q = hs.lowestFree()
		}
		if q == 0 { // check counted the range; only a corrupt current assignment gets here
			continue
		}
		hs.claim(q, name)
		ports[pt.Name] = q
	}
	return ports
}

// portChanges describes how a kept replica's ports differ from its current ones, sorted
// by port name: "port http: 20001 -> 20002", "port admin: new", "port old: removed".
func portChanges(before, after map[string]int) string {
	var out []string
	for n, p := range after {
		q, ok := before[n]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("port %s: new", n))
		case q != p:
			out = append(out, fmt.Sprintf("port %s: %d -> %d", n, q, p))
		}
	}
	for n := range before {
		if _, ok := after[n]; !ok {
			out = append(out, fmt.Sprintf("port %s: removed", n))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// standbyChanges describes how a kept replica's standby ports differ from its current ones:
// "standby port http: 20001" when one is added, "-> 20003" when moved, "removed".
func standbyChanges(before, after map[string]int) string {
	if len(before) == 0 && len(after) == 0 {
		return ""
	}
	var out []string
	for n, p := range after {
		switch q, ok := before[n]; {
		case !ok:
			out = append(out, fmt.Sprintf("standby port %s: %d", n, p))
		case q != p:
			out = append(out, fmt.Sprintf("standby port %s: %d -> %d", n, q, p))
		}
	}
	for n := range before {
		if _, ok := after[n]; !ok {
			out = append(out, fmt.Sprintf("standby port %s: removed", n))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r != "" {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
