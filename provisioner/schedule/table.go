package schedule

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
)

// Table renders the placements for `berth plan`: one row per replica (removed ones
// included), stacks in name order, replicas by index, ports by name.
//
//	STACK  REPLICA  HOST   PORTS       STATUS
//	web    0        app-1  http=20000  kept
//	web    1        app-3  http=20000  moved from app-2 (app-2: drained)
//	api    swarm    app-1,app-2,app-3  http=20001  kept
//
// A Swarm stack has one row, its replica column "swarm": Swarm places its tasks on any of
// the hosts listed, each publishing the ports shown.
func Table(a Assignment) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tREPLICA\tHOST\tPORTS\tSTATUS")
	stacks := append([]StackPlacement(nil), a.Stacks...)
	sort.SliceStable(stacks, func(i, j int) bool { return stacks[i].Name < stacks[j].Name })
	for _, s := range stacks {
		for _, r := range rows(s) {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Name, r.Index, r.Host, portList(r.Ports), status(r))
		}
		for _, sw := range []*SwarmPlacement{s.SwarmRemoved, s.Swarm} {
			if sw != nil {
				st := string(sw.Status)
				if sw.Reason != "" {
					st += " (" + sw.Reason + ")"
				}
				fmt.Fprintf(tw, "%s\tswarm\t%s\t%s\t%s\n", s.Name, strings.Join(sw.Hosts, ","), portList(sw.Ports), st)
			}
		}
	}
	tw.Flush()
	return b.String()
}

// rows merges placed, removed and deferred replicas by index; a removed replica comes first.
func rows(s StackPlacement) []Replica {
	rs := append(append(append([]Replica(nil), s.Removed...), s.Replicas...), s.Deferred...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
	return rs
}

func portList(ports map[string]int) string {
	if len(ports) == 0 {
		return "-"
	}
	names := make([]string, 0, len(ports))
	for n := range ports {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, ports[n])
	}
	return strings.Join(parts, ",")
}

func status(r Replica) string {
	s := string(r.Status)
	switch r.Status {
	case Moved:
		s += " from " + r.From
	case Held:
		s += " on " + r.Host
	}
	if r.Reason != "" {
		s += " (" + r.Reason + ")"
	}
	return s
}
