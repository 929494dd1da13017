package runbook

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/inventory"
)

// ErrNothingToUndo: the runbook never ran, or its last run has no finished step with an undo.
var ErrNothingToUndo = errors.New("nothing to undo")

// Undo runs, in reverse order, the undo blocks of the steps the last run finished. Steps
// already undone are skipped, so an undo that stopped can be run again.
func (r *Runner) Undo(ctx context.Context) error {
	path, err := Latest(r.journalDir())
	if err != nil {
		return err
	}
	if path == "" {
		return fmt.Errorf("runbook %s: %w: it never ran here (%s)", r.Runbook.Name, ErrNothingToUndo, r.journalDir())
	}
	recs, err := Read(path)
	if err != nil {
		return err
	}
	state := Replay(path, recs)
	todo := undoable(r.Runbook, state)
	if len(todo) == 0 {
		return fmt.Errorf("run %s: %w", state.ID, ErrNothingToUndo)
	}
	if r.DryRun {
		return r.dryRun(ctx, todo)
	}
	return r.undo(ctx, state, todo)
}

// undoable lists the undo steps to run: finished (or half-undone) steps with an undo,
// last first.
func undoable(rb *inventory.Runbook, s *RunState) []*inventory.Step {
	var out []*inventory.Step
	for i := len(rb.Steps) - 1; i >= 0; i-- {
		st := rb.Steps[i]
		switch s.State(st.ID) {
		case StateDone, StateUndoFailed, StateUndoRunning:
			if st.Undo != nil {
				out = append(out, undoOf(st))
			}
		}
	}
	return out
}

func (r *Runner) undo(ctx context.Context, state *RunState, todo []*inventory.Step) error {
	ok, err := r.ask(ctx, fmt.Sprintf("Undo %d steps of run %s of runbook %s?", len(todo), state.ID, r.Runbook.Name))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("undo: %w", ErrDeclined)
	}
	j, err := Reopen(state.Path)
	if err != nil {
		return err
	}
	defer j.Close()
	if err := j.Append(r.who("undo.run")); err != nil {
		return err
	}
	release, err := r.lockAll(ctx, j, state.Locks)
	if err != nil {
		return err
	}
	defer release()
	defer r.writeSummaries(ctx, j)
	for i, st := range todo {
		if _, err := r.runOne(ctx, j, st, fmt.Sprintf("undo %d/%d", i+1, len(todo)), undoRecs); err != nil {
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			return err
		}
	}
	r.printf("\nRun %s undone: %d steps.\n", state.ID, len(todo))
	return j.Append(Record{Type: RecUndoFinished})
}
