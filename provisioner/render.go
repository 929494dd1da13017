package provisioner

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/berth-dev/berth/provisioner/schedule"
)

// Render writes the plan in its stable text form: per host, one line per change with its
// action symbol, address and reason, then before/after when they say something. Lines wrap
// at the terminal's width when w is one, else at DefaultWidth, so that a plan saved to a file
// is the same on every machine; nothing is ever cut.
func Render(w io.Writer, p *Plan) {
	RenderWidth(w, p, writerWidth(w))
}

// DefaultWidth is the width a plan is wrapped at when it is not written to a terminal.
const DefaultWidth = 100

// maxAddressPad bounds the column addresses are padded to: a longer address (an image
// reference) puts its reason on the next line instead of pushing every line to the right.
const maxAddressPad = 40

func writerWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 40 {
			return cols
		}
	}
	return DefaultWidth
}

// RenderWidth is Render at a given width.
func RenderWidth(w io.Writer, p *Plan, width int) {
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
		if h.Previous != "" {
			fmt.Fprintf(w, "%s: note: %s\n", h.Host, h.Previous)
		}
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
		pad := 0
		for _, c := range h.Changes {
			if len(c.Address) <= maxAddressPad {
				pad = max(pad, len(c.Address))
			}
		}
		for _, c := range h.Changes {
			head := fmt.Sprintf("  %s %-*s  ", c.Action, pad, c.Address)
			if len(c.Address) > pad {
				fmt.Fprintf(w, "  %s %s\n", c.Action, c.Address)
				head = strings.Repeat(" ", 6+pad)
			}
			writeWrapped(w, head, strings.Repeat(" ", 6), oneLine(c.Reason), width)
			if c.Sensitive && c.Before == "" && c.After == "" {
				continue
			}
			if c.Before != "" {
				writeWrapped(w, "      before: ", strings.Repeat(" ", 14), oneLine(c.Before), width)
			}
			if c.After != "" && c.Op != "restart" && !strings.Contains(c.Reason, c.After) {
				writeWrapped(w, "      after:  ", strings.Repeat(" ", 14), oneLine(c.After), width)
			}
		}
	}
	if len(p.Certificates) > 0 {
		fmt.Fprintln(w, "Certificates:")
		for _, f := range p.Certificates {
			mark := "!"
			if f.Expired {
				mark = "x"
			}
			writeWrapped(w, "  "+mark+" ", "    ", fmt.Sprintf("%s, on %s", f, strings.Join(f.Hosts, ", ")), width)
		}
	}
	fmt.Fprintln(w, summaryLine(p))
}

func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", `\n`)
}

// writeWrapped writes first+text, wrapped at width between words, continuation lines starting
// with indent. A word longer than the line is written whole: nothing is cut.
func writeWrapped(w io.Writer, first, indent, text string, width int) {
	line := first
	fresh := true
	for _, word := range strings.Fields(text) {
		if !fresh && len(line)+1+len(word) > width {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			line, fresh = indent, true
		}
		if !fresh {
			line += " "
		}
		line += word
		fresh = false
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
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
	if n := p.Expired(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s expired.", n, plural(n, "certificate", "certificates")))
	}
	return strings.Join(parts, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
