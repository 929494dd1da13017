package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/berth-dev/berth/secret"
)

// Applier carries out an apply step: plan the step's hosts (only its targets' resources)
// and, unless dryRun, apply that plan. The runbook holds the host locks already, so the
// applier must not take them again. It writes the plan and the summary to out.
type Applier interface {
	Apply(ctx context.Context, st *inventory.Step, dryRun bool, out io.Writer) error
}

// Locker takes one host's lock and returns its id and the release function, which says
// whether the lock was released.
type Locker func(ctx context.Context, h modules.Host, command string) (id string, release func() error, err error)

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
	// (resumable) instead of starting the next step (a first Ctrl-C). A context canceled
	// once Stopping is true is a second Ctrl-C: the step in flight is aborted.
	Stopping func() bool
	// Invocation is how berth was run, for the commands printed to resume or undo.
	Invocation Invocation
	// Mask masks sensitive values in step output and errors, on the terminal and in the
	// journal (optional).
	Mask *secret.Masker

	mu              sync.Mutex
	curRun, curStep string
}

// Options select what a run does.
// From, Only and New start a new run; Run resumes a given run; none of them resumes the
// newest unfinished run (see decide).
type Options struct {
	From string // a new run of this step and every step after it, done or not
	Only string // a new run of this step alone
	New  bool   // a new run of every step, starting a new series (unfinished runs are abandoned)
	Run  string // resume this run
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

// answered is a record of who answered a question, and how.
func (r *Runner) answered(typ string) Record {
	rec := r.who(typ)
	rec.Answer = AnsweredOnTerminal
	if r.Yes {
		rec.Who += " (--yes)"
		rec.Answer = AnsweredByFlag
	}
	return rec
}

// Current is the run and step in progress ("" between steps), for an interrupt's message.
func (r *Runner) Current() (run, step string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.curRun, r.curStep
}

func (r *Runner) setCurrent(run, step string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.curRun, r.curStep = run, step
}

// aborted reports whether ctx ended by a second Ctrl-C.
func (r *Runner) aborted(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled) && r.Stopping != nil && r.Stopping()
}

func (r *Runner) printf(format string, args ...any) {
	if r.Out != nil {
		fmt.Fprintf(r.Out, format, args...)
	}
}
