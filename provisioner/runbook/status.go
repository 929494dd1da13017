package runbook

import (
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// StatusOptions select what PrintStatus shows.
type StatusOptions struct {
	Run        string // one run's own journal, instead of the current series
	All        bool   // every run, one line each
	Invocation Invocation
}

// PrintStatus writes where the runbook stands: by default each step's state in the current
// series of runs and what a plain 'berth runbook run' would do; with Run, what that run's
// journal says; with All, every run.
func PrintStatus(w io.Writer, rb *inventory.Runbook, runs []*RunState, opt StatusOptions) error {
	if len(runs) == 0 {
		fmt.Fprintf(w, "Runbook %s has never run from this inventory.\n", rb.Name)
		return nil
	}
	switch {
	case opt.All:
		printRuns(w, rb, runs)
	case opt.Run != "":
		i := runIndex(runs, opt.Run)
		if i < 0 {
			return fmt.Errorf("runbook %s has no run %s (list them with 'berth runbook status %s --all')", rb.Name, opt.Run, rb.Name)
		}
		s := runs[i]
		fmt.Fprintf(w, "Runbook %s, run %s (%s), started %s by %s: %s\n", rb.Name, s.ID, s.scopeText(), stamp(s.Started), s.Who, runWord(rb, runs, i))
		fmt.Fprintf(w, "Journal: %s\n", s.Path)
		printSteps(w, rb, s.State, func(id string) *StepStatus { return s.Steps[id] }, nil)
		fmt.Fprintln(w, resumeRun(rb, runs, s.ID, opt.Invocation))
	default:
		series := NewSeries(runs)
		if len(series.Runs) == 1 {
			s := series.Runs[0]
			fmt.Fprintf(w, "Runbook %s, run %s, started %s by %s: %s\n", rb.Name, s.ID, stamp(s.Started), s.Who, seriesWord(rb, series))
			fmt.Fprintf(w, "Journal: %s\n", s.Path)
			printSteps(w, rb, series.State, func(id string) *StepStatus { return series.Steps[id] }, nil)
		} else {
			fmt.Fprintf(w, "Runbook %s: %s (%s)\n", rb.Name, seriesWord(rb, series), runList(series.Runs))
			printSteps(w, rb, series.State, func(id string) *StepStatus { return series.Steps[id] }, series.By)
		}
		fmt.Fprintln(w, Resume(rb, runs, opt.Invocation))
	}
	printLocksLeft(w, runs)
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func printSteps(w io.Writer, rb *inventory.Runbook, state func(string) string, status func(string) *StepStatus, by map[string]string) {
	width := 0
	for _, st := range rb.Steps {
		width = max(width, len(st.ID))
	}
	for i, st := range rb.Steps {
		line := fmt.Sprintf("  %2d. %-*s  %-8s  %s", i+1, width, st.ID, st.Kind, state(st.ID))
		if x := status(st.ID); x != nil {
			if !x.Ended.IsZero() {
				line += fmt.Sprintf(" at %s (%.1fs)", stamp(x.Ended), x.Seconds)
			}
			if by[st.ID] != "" {
				line += " in run " + by[st.ID]
			}
			if x.Error != "" {
				line += ": " + oneLine(x.Error)
			}
		}
		fmt.Fprintln(w, line)
	}
}

// printRuns lists every run: when and by whom it started, what for, where it stands.
func printRuns(w io.Writer, rb *inventory.Runbook, runs []*RunState) {
	fmt.Fprintf(w, "Runs of runbook %s, oldest first:\n", rb.Name)
	for i, s := range runs {
		fmt.Fprintf(w, "  %s  started %s by %s, %s: %s\n", s.ID, stamp(s.Started), s.Who, s.scopeText(), runWord(rb, runs, i))
	}
}

// printLocksLeft names the host locks that a run took and whose release its journal does
// not record: its process crashed, was killed, or is still running.
func printLocksLeft(w io.Writer, runs []*RunState) {
	for _, s := range runs {
		if len(s.LocksLeft) == 0 {
			continue
		}
		fmt.Fprintf(w, "Run %s took host locks and its journal does not record their release: if no berth runs it any more, remove them with:\n", s.ID)
		for _, h := range sorted(keys(s.LocksLeft)) {
			fmt.Fprintf(w, "  berth unlock %s --id %s\n", h, s.LocksLeft[h])
		}
	}
}

// seriesWord says where the series stands.
func seriesWord(rb *inventory.Runbook, s *Series) string {
	if id, state := s.undoState(rb); id != "" {
		if state == StateUndone {
			return "undone"
		}
		return "undo unfinished"
	}
	if i := s.Next(rb); i >= 0 {
		return "unfinished, resumes at " + rb.Steps[i].ID
	}
	return "finished"
}

// runWord says where run i stands, its series considered.
func runWord(rb *inventory.Runbook, runs []*RunState, i int) string {
	s := runs[i]
	series := seriesOf(runs, i)
	switch {
	case s.Undone:
		return "undone"
	case s.Undoing:
		return "undo unfinished"
	case s.Abandoned:
		return "abandoned (a later run started over with --new)"
	case s.Finished:
		return "finished"
	}
	left := series.left(rb, s)
	if len(left) == 0 {
		return "done (its last steps were done by later runs)"
	}
	if series.Runs[len(series.Runs)-1] != runs[len(runs)-1] {
		return "replaced (a later run started over with --new)"
	}
	return fmt.Sprintf("unfinished, next step %s (%s)", left[0].ID, series.State(left[0].ID))
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
