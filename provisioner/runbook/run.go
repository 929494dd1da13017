package runbook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// Run runs the runbook: a new run, or the last unfinished one resumed (after asking). It
// returns a *StepError when a step failed; the journal then says where to resume.
func (r *Runner) Run(ctx context.Context, opt Options) error {
	if err := Check(r.Inventory, r.Runbook); err != nil {
		return err
	}
	prev, err := r.lastRun()
	if err != nil {
		return err
	}
	if prev != nil && !prev.Open() {
		if opt == (Options{}) {
			return fmt.Errorf("run %s of runbook %s is %s already: %w (start a new run with --new, or pick steps with --from or --only)", prev.ID, r.Runbook.Name, runWord(prev, r.Runbook), ErrRunClosed)
		}
		prev = nil
	}
	todo, err := r.selectSteps(prev, opt)
	if err != nil {
		return err
	}
	if r.DryRun {
		return r.dryRun(ctx, todo)
	}
	j, state, err := r.startJournal(ctx, prev, opt)
	if err != nil {
		return err
	}
	defer j.Close()
	var prevLocks map[string]string
	if state != nil {
		prevLocks = state.Locks
	}
	release, err := r.lockAll(ctx, j, prevLocks)
	if err != nil {
		j.Append(Record{Type: RecRunStopped, Error: err.Error()})
		return err
	}
	defer release()
	err = r.runSteps(ctx, j, state, todo)
	r.writeSummaries(ctx, j)
	return err
}

// ErrRunClosed: the last run finished (or was undone); running the runbook again is a
// decision, asked for with --new, --from or --only.
var ErrRunClosed = errors.New("nothing to resume")

// openRun returns the last run (open or not), or nil when the runbook never ran.
func (r *Runner) lastRun() (*RunState, error) {
	path, err := Latest(r.journalDir())
	if err != nil || path == "" {
		return nil, err
	}
	recs, err := Read(path)
	if err != nil {
		return nil, err
	}
	return Replay(path, recs), nil
}

// selectSteps picks the steps this run executes: --only, --from, or (resuming) every step
// not finished yet, or (new run) all.
func (r *Runner) selectSteps(prev *RunState, opt Options) ([]*inventory.Step, error) {
	steps := r.Runbook.Steps
	switch {
	case opt.Only != "":
		i, err := r.stepIndex(opt.Only)
		if err != nil {
			return nil, err
		}
		return steps[i : i+1], nil
	case opt.From != "":
		i, err := r.stepIndex(opt.From)
		if err != nil {
			return nil, err
		}
		return steps[i:], nil
	case prev != nil && !opt.New:
		var todo []*inventory.Step
		for _, st := range steps {
			if prev.State(st.ID) != StateDone {
				todo = append(todo, st)
			}
		}
		return todo, nil
	}
	return steps, nil
}

// startJournal resumes the open run (asking first) or creates a new journal.
func (r *Runner) startJournal(ctx context.Context, prev *RunState, opt Options) (*Journal, *RunState, error) {
	if prev != nil && !opt.New {
		q := fmt.Sprintf("Run %s of runbook %s (started by %s) is unfinished%s. Resume it?", prev.ID, r.Runbook.Name, prev.Who, stoppedAt(prev, r.Runbook))
		ok, err := r.ask(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, fmt.Errorf("run %s not resumed: %w (start over with --new)", prev.ID, ErrDeclined)
		}
		j, err := Reopen(prev.Path)
		if err != nil {
			return nil, nil, err
		}
		r.printf("Resuming run %s (journal %s)\n", j.RunID(), j.Path())
		return j, prev, j.Append(r.who(RecRunResumed))
	}
	if prev != nil {
		if err := r.abandon(prev); err != nil {
			return nil, nil, err
		}
	}
	j, err := Create(r.journalDir(), NewRunID(time.Now()))
	if err != nil {
		return nil, nil, err
	}
	r.printf("Run %s of runbook %s (journal %s)\n", j.RunID(), r.Runbook.Name, j.Path())
	return j, Replay(j.Path(), nil), j.Append(r.who(RecRunStarted))
}

func stoppedAt(s *RunState, rb *inventory.Runbook) string {
	if i := s.Next(rb); i >= 0 {
		id := rb.Steps[i].ID
		return fmt.Sprintf(", next step %s (%s)", id, s.State(id))
	}
	return ""
}

func (r *Runner) abandon(prev *RunState) error {
	j, err := Reopen(prev.Path)
	if err != nil {
		return err
	}
	defer j.Close()
	rec := r.who(RecRunAbandoned)
	rec.Message = "a new run was started with --new"
	return j.Append(rec)
}

// who is a record naming this berth, its user and the inventory.
func (r *Runner) who(typ string) Record {
	return Record{Type: typ, Who: r.Who, From: r.From, Version: r.Version, InventoryHash: r.Inventory.Hash, Runbook: r.Runbook.Name}
}

// runSteps runs todo in order and stops at the first failure.
func (r *Runner) runSteps(ctx context.Context, j *Journal, state *RunState, todo []*inventory.Step) error {
	for _, st := range todo {
		if r.Stopping != nil && r.Stopping() {
			err := fmt.Errorf("interrupted before step %s", st.ID)
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			return err
		}
		rec, err := r.runOne(ctx, j, st, r.position(st), stepRecs)
		state.apply(rec)
		if err != nil {
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			r.printf("\nRun %s stopped at step %s. Fix the cause, then run 'berth runbook run %s' again to resume there.\n", j.RunID(), st.ID, r.Runbook.Name)
			return err
		}
	}
	if state.AllDone(r.Runbook) {
		r.printf("\nRun %s finished: %d steps done.\n", j.RunID(), len(r.Runbook.Steps))
		return j.Append(Record{Type: RecRunFinished})
	}
	r.printf("\nRun %s: the steps asked for are done; %s\n", j.RunID(), stoppedAt(state, r.Runbook)[2:])
	return nil
}

func (r *Runner) position(st *inventory.Step) string {
	for i, s := range r.Runbook.Steps {
		if s == st {
			return fmt.Sprintf("%d/%d", i+1, len(r.Runbook.Steps))
		}
	}
	return "?"
}

// runOne journals a step's start, runs it and journals its end. The returned record is the
// end record, for the run's state.
func (r *Runner) runOne(ctx context.Context, j *Journal, st *inventory.Step, pos string, t recTypes) (Record, error) {
	hosts := r.stepHosts(st)
	r.printf("\n==> [%s] %s (%s)\n", pos, st.ID, describeTarget(st, hosts))
	if err := j.Append(Record{Type: t.started, Step: st.ID, Kind: st.Kind, Hosts: hosts}); err != nil {
		return Record{}, err
	}
	out := newCapture(r.Out)
	start := time.Now()
	err := r.exec(ctx, j, st, out)
	end := Record{Type: t.done, Step: st.ID, Kind: st.Kind, Output: out.String(), Seconds: seconds(start)}
	if err != nil {
		end.Type, end.Error = t.failed, err.Error()
		r.printf("    FAILED after %.1fs: %v\n", end.Seconds, err)
		err = &StepError{Step: st.ID, Err: err}
	} else {
		r.printf("    done (%.1fs)\n", end.Seconds)
	}
	if jerr := j.Append(end); jerr != nil && err == nil {
		err = jerr
	}
	return end, err
}

func seconds(t time.Time) float64 { return time.Since(t).Round(time.Millisecond).Seconds() }

// recTypes are the journal record types of a step's start, end and failure.
type recTypes struct{ started, done, failed string }

var (
	stepRecs = recTypes{RecStepStarted, RecStepDone, RecStepFailed}
	undoRecs = recTypes{RecUndoStarted, RecUndoDone, RecUndoFailed}
)
