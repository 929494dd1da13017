package runbook

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/inventory"
)

// A series is the runs that make up one migration: the last run started for every step
// (the first run, or one started with --new) and every run after it (--from, --only). A step's
// state in the series is the last word any of those runs said about it, so a step done by one
// run is done for all of them: resuming any run of the series never runs it again. Runs
// before the series (replaced by --new) are history.
type Series struct {
	Runs  []*RunState            // oldest first
	Steps map[string]*StepStatus // the last word on each step
	By    map[string]string      // step -> the run that said it
}

// LoadRuns replays every journal of a runbook, oldest first; none when it never ran.
func LoadRuns(dir string) ([]*RunState, error) {
	paths, err := Journals(dir)
	if err != nil {
		return nil, err
	}
	var runs []*RunState
	for _, p := range paths {
		recs, err := Read(p)
		if err != nil {
			return nil, err
		}
		s := Replay(p, recs)
		if s.ID == "" { // a journal cut before its first record
			continue
		}
		runs = append(runs, s)
	}
	return runs, nil
}

// seriesStart is the index of the first run of the series run i belongs to.
func seriesStart(runs []*RunState, i int) int {
	for ; i > 0 && !runs[i].All(); i-- {
	}
	return i
}

// NewSeries is the series of runs that the newest of runs belongs to.
func NewSeries(runs []*RunState) *Series {
	if len(runs) == 0 {
		return &Series{Steps: map[string]*StepStatus{}, By: map[string]string{}}
	}
	return seriesOf(runs, len(runs)-1)
}

// seriesOf is the series run i belongs to: from its start to the next run started for
// every step.
func seriesOf(runs []*RunState, i int) *Series {
	start, end := seriesStart(runs, i), i+1
	for end < len(runs) && !runs[end].All() {
		end++
	}
	s := &Series{Runs: runs[start:end], Steps: map[string]*StepStatus{}, By: map[string]string{}}
	type rec struct {
		r   Record
		run string
	}
	var recs []rec
	for _, run := range s.Runs {
		for _, r := range run.Records {
			recs = append(recs, rec{r, run.ID})
		}
	}
	// Records of different runs interleave when an undo writes to an older run's journal:
	// time orders them (stable: within a run, journal order).
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].r.Time.Before(recs[j].r.Time) })
	fold := &RunState{Steps: s.Steps}
	for _, x := range recs {
		switch x.r.Type {
		case RecStepStarted, RecStepDone, RecStepFailed, RecUndoStarted, RecUndoDone, RecUndoFailed:
			fold.apply(x.r)
			s.By[parent(x.r.Step)] = x.run
		}
	}
	return s
}

// State is step id's state in the series (pending when no run of it mentions the step).
func (s *Series) State(id string) string {
	if st := s.Steps[id]; st != nil {
		return st.State
	}
	return StatePending
}

// Next is the index of the first step of rb not done in the series, or -1.
func (s *Series) Next(rb *inventory.Runbook) int {
	for i, st := range rb.Steps {
		if s.State(st.ID) != StateDone {
			return i
		}
	}
	return -1
}

// undoState is the first step of rb that is undone or being undone, "" when none: the series
// was (partly) undone and is not resumed.
func (s *Series) undoState(rb *inventory.Runbook) (string, string) {
	for _, st := range rb.Steps {
		switch x := s.State(st.ID); x {
		case StateUndone, StateUndoFailed, StateUndoRunning:
			return st.ID, x
		}
	}
	return "", ""
}

// left is the steps of rb that run covers and that are not done in the series.
func (s *Series) left(rb *inventory.Runbook, run *RunState) []*inventory.Step {
	var out []*inventory.Step
	for _, st := range rb.Steps {
		if run.Covers(st.ID) && s.State(st.ID) != StateDone {
			out = append(out, st)
		}
	}
	return out
}

// resumable reports whether a plain run may resume run: it is not abandoned, finished or
// undone, and some step it was started for is not done.
func (s *Series) resumable(rb *inventory.Runbook, run *RunState) bool {
	return run.Open() && len(s.left(rb, run)) > 0
}

// plan is what a run does: resume a run, or start one (abandoning others), and which steps.
type plan struct {
	resume  *RunState   // nil: a new run
	abandon []*RunState // unfinished runs a --new run replaces
	scope   string      // of a new run
	steps   []string    // of a new run, for the journal
	todo    []*inventory.Step
}

// decide turns the runs so far and the options into what this run does. It is the one place
// that decides: the messages on stop and status use it too, so they cannot disagree.
func decide(rb *inventory.Runbook, runs []*RunState, opt Options) (plan, error) {
	if opt.Run != "" && (opt.From != "" || opt.Only != "" || opt.New) {
		return plan{}, errors.New("--run resumes a run; --from, --only and --new start a new one: use one or the other")
	}
	if opt.From != "" && opt.Only != "" {
		return plan{}, errors.New("--from and --only do not go together")
	}
	series := NewSeries(runs)
	switch {
	case opt.Only != "" || opt.From != "":
		return newPlan(rb, opt)
	case opt.New || len(runs) == 0:
		p, err := newPlan(rb, opt)
		for _, run := range series.Runs {
			if run.Open() {
				p.abandon = append(p.abandon, run)
			}
		}
		return p, err
	case opt.Run != "":
		return resumePlan(rb, runs, opt.Run)
	}
	if id, state := series.undoState(rb); id != "" {
		return plan{}, undoneError(rb, series, id, state)
	}
	for i := len(series.Runs) - 1; i >= 0; i-- {
		if run := series.Runs[i]; series.resumable(rb, run) {
			return plan{resume: run, todo: series.left(rb, run)}, nil
		}
	}
	if series.Next(rb) < 0 {
		return plan{}, fmt.Errorf("every step of runbook %s is done (%s): %w (start a new run with --new, or run steps again with --from or --only)", rb.Name, runList(series.Runs), ErrRunClosed)
	}
	// No run covers what is left (the runs so far were --only or --from runs): a new run of
	// the steps not done, in the same series.
	p := plan{scope: ScopeRest, todo: series.left(rb, &RunState{})}
	for _, st := range p.todo {
		p.steps = append(p.steps, st.ID)
	}
	return p, nil
}

// ScopeRest is the scope of a run started by a plain run for the steps no earlier run of
// the series covers: it continues the series.
const ScopeRest = "the steps not done"

func newPlan(rb *inventory.Runbook, opt Options) (plan, error) {
	p := plan{scope: ScopeAll, todo: rb.Steps}
	if id := opt.Only + opt.From; id != "" {
		i, err := stepIndex(rb, id)
		if err != nil {
			return plan{}, err
		}
		if opt.Only != "" {
			p.scope, p.todo = "--only "+id, rb.Steps[i:i+1]
		} else {
			p.scope, p.todo = "--from "+id, rb.Steps[i:]
		}
	}
	for _, st := range p.todo {
		p.steps = append(p.steps, st.ID)
	}
	return p, nil
}

// resumePlan resumes run id (--run), which must be of the current series.
func resumePlan(rb *inventory.Runbook, runs []*RunState, id string) (plan, error) {
	i := runIndex(runs, id)
	if i < 0 {
		return plan{}, fmt.Errorf("runbook %s has no run %s (list them with 'berth runbook status %s --all')", rb.Name, id, rb.Name)
	}
	run, series := runs[i], seriesOf(runs, i)
	switch {
	case series.Runs[len(series.Runs)-1] != runs[len(runs)-1]:
		return plan{}, fmt.Errorf("run %s was replaced by run %s, started over with --new: %w", id, runs[seriesStart(runs, len(runs)-1)].ID, ErrRunClosed)
	case run.Abandoned:
		return plan{}, fmt.Errorf("run %s was abandoned: %w", id, ErrRunClosed)
	}
	if sid, state := series.undoState(rb); sid != "" {
		return plan{}, undoneError(rb, series, sid, state)
	}
	todo := series.left(rb, run)
	if len(todo) == 0 {
		return plan{}, fmt.Errorf("run %s has nothing left to do: every step it was started for (%s) is done: %w", id, run.scopeText(), ErrRunClosed)
	}
	return plan{resume: run, todo: todo}, nil
}

func undoneError(rb *inventory.Runbook, s *Series, id, state string) error {
	if state == StateUndone {
		return fmt.Errorf("step %s of runbook %s was undone (run %s): %w (start a new run with --new, or run steps again with --from or --only)", id, rb.Name, s.By[id], ErrRunClosed)
	}
	return fmt.Errorf("the undo of step %s of runbook %s is %s: %w (finish it with 'berth runbook undo %s')", id, rb.Name, state, ErrRunClosed, rb.Name)
}

func runIndex(runs []*RunState, id string) int {
	for i, r := range runs {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func stepIndex(rb *inventory.Runbook, id string) (int, error) {
	var ids []string
	for i, st := range rb.Steps {
		if st.ID == id {
			return i, nil
		}
		ids = append(ids, st.ID)
	}
	return -1, fmt.Errorf("runbook %s has no step %q (steps: %v)", rb.Name, id, ids)
}

func runList(runs []*RunState) string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	if len(ids) == 1 {
		return "run " + ids[0]
	}
	return "runs " + strings.Join(ids, ", ")
}

func (s *RunState) scopeText() string {
	if s.All() {
		return "all steps"
	}
	return s.Scope
}
