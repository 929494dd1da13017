package runbook

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// Run runs the runbook: a new run, or an unfinished one resumed (after asking), as decide
// says. It returns a *StepError when a step failed; the journal then says where to resume.
func (r *Runner) Run(ctx context.Context, opt Options) error {
	if err := Check(r.Inventory, r.Runbook); err != nil {
		return err
	}
	runs, err := LoadRuns(r.journalDir())
	if err != nil {
		return err
	}
	p, err := decide(r.Runbook, runs, opt)
	if err != nil {
		return err
	}
	if r.DryRun {
		return r.dryRun(ctx, p.todo)
	}
	j, err := r.startJournal(ctx, p)
	if err != nil {
		return err
	}
	defer j.Close()
	var prevLocks map[string]string
	if p.resume != nil {
		prevLocks = p.resume.Locks
	}
	release, err := r.lockAll(ctx, j, prevLocks)
	if err != nil && p.resume == nil {
		// Nothing happened: the new run leaves no journal (and abandons nothing).
		j.Close()
		os.Remove(j.Path())
		r.printf("No run started: %v\n", r.Mask.Error(err))
		return err
	}
	if err != nil {
		err = r.Mask.Error(err)
		j.Append(Record{Type: RecRunStopped, Error: err.Error()})
		r.printf("\nRun %s stopped before its first step: %v\n%s\n", j.RunID(), err, r.resumeAdvice(j.RunID()))
		return err
	}
	for _, old := range p.abandon {
		if err := r.abandon(old); err != nil {
			release()
			return err
		}
	}
	err = r.runSteps(ctx, j, p.todo)
	release()
	r.writeSummaries(ctx, j)
	return err
}

// ErrRunClosed: there is nothing to resume (every step is done, or was undone); running
// steps again is a decision, asked for with --new, --from or --only.
var ErrRunClosed = errors.New("nothing to resume")

// startJournal resumes the run p names (asking first) or creates a new journal.
func (r *Runner) startJournal(ctx context.Context, p plan) (*Journal, error) {
	if prev := p.resume; prev != nil {
		q := fmt.Sprintf("Run %s of runbook %s (started by %s, %s) is unfinished, next step %s (%s). Resume it?",
			prev.ID, r.Runbook.Name, prev.Who, prev.scopeText(), p.todo[0].ID, r.stateOf(p.todo[0].ID))
		ok, err := r.ask(ctx, q)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("run %s not resumed: %w (start over with --new)", prev.ID, ErrDeclined)
		}
		j, err := Reopen(prev.Path)
		if err != nil {
			return nil, err
		}
		r.printf("Resuming run %s at step %s (journal %s)\n", j.RunID(), p.todo[0].ID, j.Path())
		return j, j.Append(r.answered(RecRunResumed))
	}
	j, err := Create(r.journalDir(), NewRunID(time.Now()))
	if err != nil {
		return nil, err
	}
	scope := ""
	if p.scope != ScopeAll {
		scope = " (" + p.scope + ")"
	}
	r.printf("Run %s of runbook %s%s (journal %s)\n", j.RunID(), r.Runbook.Name, scope, j.Path())
	rec := r.who(RecRunStarted)
	rec.Scope, rec.Steps = p.scope, p.steps
	return j, j.Append(rec)
}

// stateOf is a step's state in the current series, read again from the journals.
func (r *Runner) stateOf(id string) string {
	runs, err := LoadRuns(r.journalDir())
	if err != nil {
		return "unknown"
	}
	return NewSeries(runs).State(id)
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

// runSteps runs todo in order and stops at the first failure, saying how to resume.
func (r *Runner) runSteps(ctx context.Context, j *Journal, todo []*inventory.Step) error {
	for _, st := range todo {
		if r.Stopping != nil && r.Stopping() {
			err := fmt.Errorf("interrupted (Ctrl-C) before step %s", st.ID)
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			r.printf("\nRun %s stopped before step %s (Ctrl-C).\n%s\n", j.RunID(), st.ID, r.resumeAdvice(j.RunID()))
			return err
		}
		_, err := r.runOne(ctx, j, st, r.position(st), stepRecs)
		if err != nil {
			j.Append(Record{Type: RecRunStopped, Step: st.ID, Error: err.Error()})
			why := "Fix the cause, then resume: the step runs again from its start."
			if r.aborted(ctx) {
				why = "The step was aborted by a second Ctrl-C and may be partly done: it runs again from its start when the run resumes."
			}
			r.printf("\nRun %s stopped at step %s. %s\n%s\n", j.RunID(), st.ID, why, r.resumeAdvice(j.RunID()))
			return err
		}
	}
	return r.finish(j, len(todo))
}

// finish journals the end of a run whose steps all went through and says what is left.
func (r *Runner) finish(j *Journal, n int) error {
	runs, err := LoadRuns(r.journalDir())
	if err != nil {
		return err
	}
	series := NewSeries(runs)
	if err := j.Append(Record{Type: RecRunFinished}); err != nil {
		return err
	}
	if series.Next(r.Runbook) < 0 {
		r.printf("\nRun %s finished (%d steps): every step of runbook %s is done.\n", j.RunID(), n, r.Runbook.Name)
		return nil
	}
	var left []string
	for _, st := range r.Runbook.Steps {
		if x := series.State(st.ID); x != StateDone {
			left = append(left, fmt.Sprintf("%s (%s)", st.ID, x))
		}
	}
	runs, _ = LoadRuns(r.journalDir())
	r.printf("\nRun %s finished: the %d steps asked for are done. Not done yet: %s.\n%s\n", j.RunID(), n, strings.Join(left, ", "), Resume(r.Runbook, runs, r.Invocation))
	return nil
}

// ResumeAdvice says how to resume run id ("To resume it at step X: berth runbook run ..."),
// from the journals as they are now.
func (r *Runner) ResumeAdvice(id string) string { return r.resumeAdvice(id) }

func (r *Runner) resumeAdvice(id string) string {
	runs, err := LoadRuns(r.journalDir())
	if err != nil {
		return fmt.Sprintf("The journals cannot be read (%v): see 'berth runbook status %s'.", err, r.Runbook.Name)
	}
	return resumeRun(r.Runbook, runs, id, r.Invocation)
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
	r.setCurrent(j.RunID(), st.ID)
	defer r.setCurrent(j.RunID(), "")
	capt := newCapture(r.Out)
	out := r.Mask.Writer(capt) // the terminal and the journal get the same masked lines
	start := time.Now()
	err := r.exec(ctx, j, st, out)
	out.Flush()
	if err != nil && r.aborted(ctx) {
		err = fmt.Errorf("aborted by a second Ctrl-C: %w", err)
	}
	err = r.Mask.Error(err)
	end := Record{Type: t.done, Step: st.ID, Kind: st.Kind, Output: capt.String(), Seconds: seconds(start)}
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
