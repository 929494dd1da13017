package provisioner

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-dev/berth/provisioner/schedule"
)

// Render writes the plan in its stable text form: per host, one line per change with its
// action symbol, address and reason, then before/after when they say something.
func Render(w io.Writer, p *Plan) {
	if p.Placement != nil && len(p.Placement.Stacks) > 0 {
		fmt.Fprintln(w, "Placement:")
		fmt.Fprintln(w, schedule.Table(*p.Placement))
	}
	if len(p.Rollouts) > 0 {
		fmt.Fprintln(w, "Updates:")
		for _, ro := range p.Rollouts {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(ro.String(), "\n", "\n  "))
		}
		fmt.Fprintln(w)
	}
	for _, h := range p.Hosts {
		switch {
		case h.Error != "":
			fmt.Fprintf(w, "%s: error: %s\n", h.Host, h.Error)
			if h.Hint != "" {
				fmt.Fprintf(w, "  hint: %s\n", h.Hint)
			}
			continue
		case len(h.Changes) == 0 && h.Busy == "":
			fmt.Fprintf(w, "%s: no changes\n", h.Host)
			continue
		}
		fmt.Fprintf(w, "%s:\n", h.Host)
		if h.Busy != "" {
			fmt.Fprintf(w, "  (busy: %s)\n", h.Busy)
		}
		width := 0
		for _, c := range h.Changes {
			width = max(width, len(c.Address))
		}
		for _, c := range h.Changes {
			fmt.Fprintf(w, "  %s %-*s  %s\n", c.Action, width, c.Address, c.Reason)
			if c.Sensitive && c.Before == "" && c.After == "" {
				continue
			}
			if c.Before != "" {
				fmt.Fprintf(w, "      before: %s\n", oneLine(c.Before))
			}
			if c.After != "" && c.Op != "restart" && !strings.Contains(c.Reason, c.After) {
				fmt.Fprintf(w, "      after:  %s\n", oneLine(c.After))
			}
		}
	}
	fmt.Fprintln(w, summaryLine(p))
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// summaryLine counts the changes and the hosts. A host that could not be planned has no known
// changes, so "No changes" counts the planned hosts only, and is not said when none was.
func summaryLine(p *Plan) string {
	c := p.Count()
	var parts []string
	switch planned := c.Hosts - c.Failed; {
	case c.Total() > 0:
		parts = append(parts, fmt.Sprintf("Plan: %d to add, %d to change, %d to replace, %d to remove, on %d of %d %s.",
			c.Add, c.Change, c.Replace, c.Remove, c.HostsChanged, c.Hosts, plural(c.Hosts, "host", "hosts")))
	case planned > 0 || c.Failed == 0:
		parts = append(parts, fmt.Sprintf("No changes on %d %s.", planned, plural(planned, "host", "hosts")))
	}
	if c.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d %s could not be planned.", c.Failed, plural(c.Failed, "host", "hosts")))
	}
	if c.Busy > 0 {
		parts = append(parts, fmt.Sprintf("%d %s busy (an apply holds the lock).", c.Busy, plural(c.Busy, "host is", "hosts are")))
	}
	return strings.Join(parts, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
