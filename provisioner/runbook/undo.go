package runbook

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/inventory"
)

// ErrNothingToUndo: the runbook never ran, or no step it finished has an undo left to run.
var ErrNothingToUndo = errors.New("nothing to undo")

// Undo runs, in reverse step order, the undo blocks of finished steps: those done in the
// current series of runs (see Series), or with runID those that run finished and that are
// still done. Steps already undone are skipped, so an undo that stopped can be run again.
// The undo is journaled in the journal of runID, or of the newest run.
func (r *Runner) Undo(ctx context.Context, runID string) error {
	runs, err := LoadRuns(r.journalDir())
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return fmt.Errorf("runbook %s: %w: it never ran here (%s)", r.Runbook.Name, ErrNothingToUndo, r.journalDir())
	}
	i := len(runs) - 1
	if runID != "" {
		if i = runIndex(runs, runID); i < 0 {
			return fmt.Errorf("runbook %s has no run %s (list them with 'berth runbook status %s --all')", r.Runbook.Name, runID, r.Runbook.Name)
		}
	}
	target := runs[i]
	var of *RunState
	if runID != "" {
		of = target
	}
	todo := undoable(r.Runbook, seriesOf(runs, i), of)
	if len(todo) == 0 {
		what := "the steps done since run " + runs[seriesStart(runs, i)].ID
		if of != nil {
			what = "run " + of.ID
		}
		return fmt.Errorf("%s: %w (no finished step with an undo block)", what, ErrNothingToUndo)
	}
	if r.DryRun {
		return r.dryRun(ctx, todo)
	}
	return r.undo(ctx, target, of, todo)
}

// undoable lists the undo steps to run, last step first: steps done in the series (or whose
// undo stopped) that have an undo block; with run set, only those that run finished.
func undoable(rb *inventory.Runbook, s *Series, run *RunState) []*inventory.Step {
	var out []*inventory.Step
	for i := len(rb.Steps) - 1; i >= 0; i-- {
		st := rb.Steps[i]
		if st.Undo == nil || (run != nil && !finishedIn(run, st.ID)) {
			continue
		}
		switch s.State(st.ID) {
		case StateDone, StateUndoFailed, StateUndoRunning:
			out = append(out, undoOf(st))
		}
	}
	return out
}

// finishedIn reports whether run's journal has step id finished.
func finishedIn(run *RunState, id string) bool {
	for _, rec := range run.Records {
		if rec.Type == RecStepDone && rec.Step == id {
			return true
		}
	}
	return false
}

func (r *Runner) undo(ctx context.Context, target, of *RunState, todo []*inventory.Step) error {
	ids := make([]string, len(todo))
	for i, st := range todo {
		ids[i] = parent(st.ID)
	}
	what := "runbook " + r.Runbook.Name
	if of != nil {
		what = "run " + of.ID + " of " + what
	}
	ok, err := r.ask(ctx, fmt.Sprintf("Undo %d steps of %s (%s, in this order)?", len(todo), what, strings.Join(ids, ", ")))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("undo: %w", ErrDeclined)
	}
	j, err := Reopen(target.Path)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := j.Append(r.answered(RecUndoRun)); err != nil {
		return err
	}
	release, err := r.lockAll(ctx, j, target.Locks)
	if err != nil {
		return err
	}
	defer r.writeSummaries(ctx, j)
	defer release()
	for i, st := range todo {
		if r.Stopping != nil && r.Stopping() {
			err := fmt.Errorf("interrupted (Ctrl-C) before the undo of step %s", parent(st.ID))
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			r.printf("\nUndo stopped before the undo of step %s (Ctrl-C). To go on: %s\n", parent(st.ID), r.undoCommand(of))
			return err
		}
		if _, err := r.runOne(ctx, j, st, fmt.Sprintf("undo %d/%d", i+1, len(todo)), undoRecs); err != nil {
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			r.printf("\nUndo stopped at the undo of step %s. Fix the cause, then go on (undone steps are skipped): %s\n", parent(st.ID), r.undoCommand(of))
			return err
		}
	}
	r.printf("\nUndone: %d steps of %s.\n", len(todo), what)
	return j.Append(Record{Type: RecUndoFinished})
}

func (r *Runner) undoCommand(of *RunState) string {
	if of != nil {
		return r.Invocation.Command("undo", r.Runbook.Name, "--run", of.ID)
	}
	return r.Invocation.Command("undo", r.Runbook.Name)
}
