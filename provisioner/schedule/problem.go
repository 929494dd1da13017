package schedule

import (
	"fmt"
	"strings"
)

// Problem is a reason Place could not do all it was asked. The caller attaches the source
// range of Stack (or Host) when it prints it.
type Problem struct {
	Stack   string // "" when the problem is about a host or the request
	Replica int    // index of the replica that fits nowhere; -1 when not about one replica
	Host    string // set for problems about a host's declaration
	Summary string
	// Hosts says, per host in name order, why the replica could not go there.
	Hosts []HostReason
}

// HostReason is why one host was rejected.
type HostReason struct {
	Host   string
	Reason string
}

func (r HostReason) String() string { return r.Host + ": " + r.Reason }

// notSelected is the reason for hosts outside the stack's selector; Error folds them.
const notSelected = "not selected by place.hosts"

// maxReasons bounds the per-host lines Error prints; Hosts keeps all of them.
const maxReasons = 20

// Error renders the problem on several lines: the summary, then one line per host (at most
// maxReasons), hosts outside the selector folded into one line.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Summary)
	var folded []string
	shown, hidden := 0, 0
	for _, r := range p.Hosts {
		switch {
		case r.Reason == notSelected:
			folded = append(folded, r.Host)
		case shown == maxReasons:
			hidden++
		default:
			b.WriteString("\n  " + r.String())
			shown++
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more hosts", hidden)
	}
	if len(folded) == 1 {
		b.WriteString("\n  " + folded[0] + ": " + notSelected)
	} else if len(folded) > 1 {
		fmt.Fprintf(&b, "\n  %d other hosts: %s", len(folded), notSelected)
	}
	return b.String()
}

func stackProblem(stack string, format string, args ...any) Problem {
	return Problem{Stack: stack, Replica: -1, Summary: fmt.Sprintf("stack %q: ", stack) + fmt.Sprintf(format, args...)}
}

func hostProblem(host string, format string, args ...any) Problem {
	return Problem{Replica: -1, Host: host, Summary: fmt.Sprintf("host %q: ", host) + fmt.Sprintf(format, args...)}
}
