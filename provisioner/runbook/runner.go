package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// Applier carries out an apply step: plan the step's hosts (only its targets' resources)
// and, unless dryRun, apply that plan. The runbook holds the host locks already, so the
// applier must not take them again. It writes the plan and the summary to out.
type Applier interface {
	Apply(ctx context.Context, st *inventory.Step, dryRun bool, out io.Writer) error
}

// Locker takes one host's lock and returns its id and the release function.
type Locker func(ctx context.Context, h modules.Host, command string) (id string, release func(), err error)

// Runner runs one runbook. Fill every field but the optional ones marked so.
type Runner struct {
	Inventory *inventory.Inventory
	Runbook   *inventory.Runbook
	Hosts     Hosts
	Applier   Applier
	// Ask puts a yes/no question to the person running berth (confirm steps, resuming).
	// Optional: without it, every question fails unless Yes is set.
	Ask func(ctx context.Context, question string) (bool, error)
	// Yes answers every question with yes, and is journaled as such.
	Yes    bool
	DryRun bool
	// Out receives step headers and output as they happen.
	Out io.Writer
	// Who (user@machine), From (working directory) and Version describe this berth.
	Who, From, Version string
	// JournalDir holds the runbook's journals (Dir(inventory, name) when empty).
	JournalDir string
	// Lock takes a host lock (LockHost when nil).
	Lock Locker
	// Assignment reads the placement in force, for balancer steps (the lock file when nil).
	Assignment func() (schedule.Assignment, error)
	// Interval is the default poll interval of wait steps (2s when zero).
	Interval time.Duration
	// Stopping, when set, is checked before each step: once true, the run stops there
	// (resumable) instead of starting the next step (a first Ctrl-C).
	Stopping func() bool
}

// Options select what a run does.
type Options struct {
	From string // start at this step, re-running finished steps after it
	Only string // run this step alone
	New  bool   // start a new run even if the last one is unfinished (it is marked abandoned)
}

// ErrDeclined is returned when the person running berth answered no.
var ErrDeclined = errors.New("declined")

// StepError is a step that failed.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

func (r *Runner) journalDir() string {
	if r.JournalDir != "" {
		return r.JournalDir
	}
	return Dir(r.Inventory.Dir, r.Runbook.Name)
}

// stepIndex returns the index of step id, or an error listing the steps.
func (r *Runner) stepIndex(id string) (int, error) {
	var ids []string
	for i, st := range r.Runbook.Steps {
		if st.ID == id {
			return i, nil
		}
		ids = append(ids, st.ID)
	}
	return -1, fmt.Errorf("runbook %s has no step %q (steps: %v)", r.Runbook.Name, id, ids)
}

// ask returns yes when Yes is set, else asks.
func (r *Runner) ask(ctx context.Context, q string) (bool, error) {
	if r.Yes {
		return true, nil
	}
	if r.Ask == nil {
		return false, fmt.Errorf("%s: needs an answer and there is no terminal to ask (use --yes)", q)
	}
	return r.Ask(ctx, q)
}

func (r *Runner) printf(format string, args ...any) {
	if r.Out != nil {
		fmt.Fprintf(r.Out, format, args...)
	}
}
