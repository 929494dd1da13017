package runbook

import (
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
)

// Step states, as replayed from a journal.
const (
	StatePending     = "pending"
	StateRunning     = "interrupted" // started, never ended: the run crashed or was killed
	StateDone        = "done"
	StateFailed      = "failed"
	StateUndone      = "undone"
	StateUndoFailed  = "undo failed"
	StateUndoRunning = "undo interrupted"
)

// StepStatus is where one step stands in a run.
type StepStatus struct {
	ID      string
	State   string
	Error   string
	Started time.Time
	Ended   time.Time
	Seconds float64
}

// RunState is a run replayed from its journal.
type RunState struct {
	ID        string
	Path      string
	Runbook   string
	Who       string
	Started   time.Time
	Finished  bool // every step done
	Abandoned bool // a newer run replaced it
	Undone    bool // berth runbook undo completed
	Undoing   bool // an undo started
	Steps     map[string]*StepStatus
	// Scope is what the run was started for ("all", "--from ID", "--only ID") and Scoped
	// the step IDs it covers (every step of the runbook when the scope is all).
	Scope  string
	Scoped []string
	// Locks are the lock ids of the last start or resume (host -> id), adopted on resume;
	// LocksLeft those of them this run's process did not release (it crashed, or is still
	// running): the ones berth unlock may have to remove.
	Locks     map[string]string
	LocksLeft map[string]string
	Last      time.Time
	// Records are the journal's records, for the state of a series of runs.
	Records []Record
}

// Replay folds a journal's records into the state of its run.
func Replay(path string, recs []Record) *RunState {
	s := &RunState{Path: path, Steps: map[string]*StepStatus{}}
	for _, r := range recs {
		s.apply(r)
	}
	s.Records = recs
	return s
}

func (s *RunState) apply(r Record) {
	s.Last = r.Time
	switch r.Type {
	case RecRunStarted:
		s.ID, s.Runbook, s.Who, s.Started = r.Run, r.Runbook, r.Who, r.Time
		s.Scope, s.Scoped = r.Scope, r.Steps
	case RecRunFinished:
		s.Finished = true
	case RecRunAbandoned:
		s.Abandoned = true
	case RecLocked:
		s.Locks, s.LocksLeft = r.Locks, map[string]string{}
		for h, id := range r.Locks {
			s.LocksLeft[h] = id
		}
	case RecReleased:
		for h, id := range r.Locks {
			if s.LocksLeft[h] == id {
				delete(s.LocksLeft, h)
			}
		}
	case RecUndoFinished:
		s.Undone = true
	case RecStepStarted:
		s.step(r.Step).set(StateRunning, r, "")
	case RecStepDone:
		s.step(r.Step).set(StateDone, r, "")
	case RecStepFailed:
		s.step(r.Step).set(StateFailed, r, r.Error)
	case RecUndoStarted:
		s.Undoing = true
		s.step(parent(r.Step)).set(StateUndoRunning, r, "")
	case RecUndoDone:
		s.step(parent(r.Step)).set(StateUndone, r, "")
	case RecUndoFailed:
		s.step(parent(r.Step)).set(StateUndoFailed, r, r.Error)
	}
}

func parent(undoID string) string { return strings.TrimSuffix(undoID, ".undo") }

func (s *RunState) step(id string) *StepStatus {
	st := s.Steps[id]
	if st == nil {
		st = &StepStatus{ID: id, State: StatePending}
		s.Steps[id] = st
	}
	return st
}

func (st *StepStatus) set(state string, r Record, err string) {
	st.State, st.Error = state, err
	if state == StateRunning || state == StateUndoRunning {
		st.Started, st.Ended, st.Seconds = r.Time, time.Time{}, 0
		return
	}
	st.Ended, st.Seconds = r.Time, r.Seconds
}

// State returns the state of step id (pending when the journal never mentions it).
func (s *RunState) State(id string) string {
	if st := s.Steps[id]; st != nil {
		return st.State
	}
	return StatePending
}

// Open reports whether the run's own journal leaves it unfinished: not finished, abandoned
// or undone. Whether a run can be resumed depends on the other runs too: see Series.
func (s *RunState) Open() bool { return !s.Finished && !s.Abandoned && !s.Undone && !s.Undoing }

// Covers reports whether step id is one the run was started for.
func (s *RunState) Covers(id string) bool {
	if s.All() {
		return true
	}
	for _, x := range s.Scoped {
		if x == id {
			return true
		}
	}
	return false
}

// All reports whether the run was started for every step (the first run, or --new): such a
// run starts a new series.
// A journal written before runs had a scope is taken as one.
func (s *RunState) All() bool { return s.Scope == "" || s.Scope == ScopeAll }

// ScopeAll is the scope of a run started for every step.
const ScopeAll = "all"

// Next is the index of the first step of rb that is not done, or -1 when all are.
func (s *RunState) Next(rb *inventory.Runbook) int {
	for i, st := range rb.Steps {
		if s.State(st.ID) != StateDone {
			return i
		}
	}
	return -1
}

// AllDone reports whether every step of rb is done.
func (s *RunState) AllDone(rb *inventory.Runbook) bool { return s.Next(rb) < 0 }
