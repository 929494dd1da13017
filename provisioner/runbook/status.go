package runbook

import (
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// LastRun replays the newest journal of runbook rb in dir; nil when it never ran.
func LastRun(dir string) (*RunState, error) {
	path, err := Latest(dir)
	if err != nil || path == "" {
		return nil, err
	}
	recs, err := Read(path)
	if err != nil {
		return nil, err
	}
	return Replay(path, recs), nil
}

// PrintStatus writes where a run stands: the run, then one line per step with its state.
func PrintStatus(w io.Writer, rb *inventory.Runbook, s *RunState) {
	if s == nil {
		fmt.Fprintf(w, "Runbook %s has never run from this inventory.\n", rb.Name)
		return
	}
	fmt.Fprintf(w, "Runbook %s, run %s, started %s by %s: %s\n", rb.Name, s.ID, s.Started.UTC().Format(time.RFC3339), s.Who, runWord(s, rb))
	fmt.Fprintf(w, "Journal: %s\n", s.Path)
	width := 0
	for _, st := range rb.Steps {
		width = max(width, len(st.ID))
	}
	for i, st := range rb.Steps {
		line := fmt.Sprintf("  %2d. %-*s  %-8s  %s", i+1, width, st.ID, st.Kind, s.State(st.ID))
		if x := s.Steps[st.ID]; x != nil {
			if !x.Ended.IsZero() {
				line += fmt.Sprintf(" at %s (%.1fs)", x.Ended.UTC().Format(time.RFC3339), x.Seconds)
			}
			if x.Error != "" {
				line += ": " + oneLine(x.Error)
			}
		}
		fmt.Fprintln(w, line)
	}
	if len(s.Locks) > 0 && s.Open() {
		fmt.Fprintln(w, "If the run crashed, its host locks may remain; remove them with:")
		for _, h := range sorted(keys(s.Locks)) {
			fmt.Fprintf(w, "  berth unlock %s --id %s\n", h, s.Locks[h])
		}
	}
}

func runWord(s *RunState, rb *inventory.Runbook) string {
	switch {
	case s.Undone:
		return "undone"
	case s.Undoing:
		return "undo unfinished"
	case s.Finished:
		return "finished"
	case s.Abandoned:
		return "abandoned"
	}
	if i := s.Next(rb); i >= 0 {
		return "unfinished, resumes at " + rb.Steps[i].ID
	}
	return "unfinished"
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
