package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/hostlock"
	"github.com/berth-dev/berth/provisioner/runbook"
	"github.com/berth-dev/berth/secret"
	"golang.org/x/term"
)

// runbookTimeout bounds a whole run or undo: migrations run long, and their steps have their
// own timeouts.
const runbookTimeout = 24 * time.Hour

var runbookArgs = []param{required("NAME"), optional("DIR")}

func init() {
	register(&command{
		name:    "runbook",
		summary: "run ordered, resumable, journaled migration steps",
		subs: []*command{{
			name:    "run",
			summary: "run a runbook's steps, or resume its unfinished run",
			args:    runbookArgs,
			about: `Without --from, --only or --new, run resumes the newest unfinished run of NAME (after
asking) at its first step not done; --run resumes another. A step done by any run since the
last --new is never run again unless --from or --only asks for it. Each run is journaled in
DIR/.berth/runs/NAME/RUN.jsonl.`,
			setup: func(fs *flag.FlagSet) action {
				f := addRunbookFlags(fs)
				fs.StringVar(&f.from, "from", "", "start a new run of `STEP` and every step after it, done or not")
				fs.StringVar(&f.only, "only", "", "start a new run of `STEP` alone")
				fs.BoolVar(&f.nw, "new", false, "start a new run of every step, abandoning unfinished runs")
				fs.StringVar(&f.run, "run", "", "resume the run `ID` rather than the newest unfinished one")
				return f.action("run")
			},
		}, {
			name:    "status",
			summary: "show where a runbook stands, step by step (reads the journals, no network)",
			args:    runbookArgs,
			setup: func(fs *flag.FlagSet) action {
				f := addInventoryFlags(fs)
				run := fs.String("run", "", "show what the journal of run `ID` says")
				all := fs.Bool("all", false, "list every run, one line each")
				return func(e *env, in invocation) int {
					inv, rb, ok := loadRunbook(e, in.args, f)
					if !ok {
						return exitError
					}
					opt := runbook.StatusOptions{Run: *run, All: *all, Invocation: runbookInvocation(inv, in.args, f)}
					return runbookStatus(e, inv, rb, opt)
				}
			},
		}, {
			name:    "undo",
			summary: "undo the finished steps of a runbook, last first",
			args:    runbookArgs,
			about: `Undoes every step done since the last --new run, or with --run only the steps that run
finished. Steps already undone are skipped, so an undo that stopped can be run again.`,
			setup: func(fs *flag.FlagSet) action {
				f := addRunbookFlags(fs)
				fs.StringVar(&f.run, "run", "", "undo only the steps run `ID` finished")
				return f.action("undo")
			},
		}},
	})
}

// runbookFlags are the flags of runbook run and undo; from, only and nw are run's alone.
type runbookFlags struct {
	eng             *engineFlags
	from, only, run string
	yes, dry, nw    bool
}

// addRunbookFlags registers the flags runbook run and undo share.
func addRunbookFlags(fs *flag.FlagSet) *runbookFlags {
	f := &runbookFlags{eng: addEngineFlags(fs, runbookTimeout)}
	fs.BoolVar(&f.yes, "yes", false, "answer yes to every question: resuming, confirm steps, undo (journaled as --yes)")
	fs.BoolVar(&f.dry, "dry-run", false, "show each apply step's plan and every command, change nothing")
	return f
}

// action runs or undoes (sub) the runbook the arguments name.
func (f *runbookFlags) action(sub string) action {
	return func(e *env, in invocation) int {
		inv, rb, ok := loadRunbook(e, in.args, f.eng.inv)
		if !ok {
			return exitError
		}
		return runbookExec(e, inv, rb, f, sub, runbookInvocation(inv, in.args, f.eng.inv))
	}
}

// runbookInvocation is how the runbook was named, for the commands berth prints to resume
// or undo: the inventory directory as typed and the flags that load the same inventory, a
// sensitive variable's value masked.
func runbookInvocation(inv *inventory.Inventory, args []string, f *inventoryFlags) runbook.Invocation {
	var iv runbook.Invocation
	if len(args) > 1 {
		iv.Dir = args[1]
	}
	for _, vf := range f.varFiles {
		iv.Flags = append(iv.Flags, "-var-file", vf)
	}
	mask := inv.Masker()
	for _, name := range slices.Sorted(maps.Keys(f.vars)) {
		v := f.vars[name]
		if mask.Line(v) != v {
			v = secret.Redacted
		}
		iv.Flags = append(iv.Flags, "-var", name+"="+v)
	}
	return iv
}

// loadRunbook loads the inventory of "NAME [DIR]" and finds the runbook NAME in it.
func loadRunbook(e *env, args []string, f *inventoryFlags) (*inventory.Inventory, *inventory.Runbook, bool) {
	if !f.check(e) {
		return nil, nil, false
	}
	inv, ok := loadInventory(e, dirArg(args[1:]), f)
	if !ok {
		return nil, nil, false
	}
	rb := findRunbook(e, inv, args[0])
	return inv, rb, rb != nil
}

func findRunbook(e *env, inv *inventory.Inventory, name string) *inventory.Runbook {
	var names []string
	for _, rb := range inv.Runbooks {
		if rb.Name == name {
			return rb
		}
		names = append(names, rb.Name)
	}
	fmt.Fprintf(e.stderr, "error: the inventory %s has no runbook %q\n", inv.Dir, name)
	if s := closest(name, names); s != "" {
		fmt.Fprintf(e.stderr, "hint: did you mean %q?\n", s)
	} else if len(names) > 0 {
		fmt.Fprintf(e.stderr, "hint: runbooks: %s\n", strings.Join(names, ", "))
	}
	return nil
}

func runbookStatus(e *env, inv *inventory.Inventory, rb *inventory.Runbook, opt runbook.StatusOptions) int {
	runs, err := runbook.LoadRuns(runbook.Dir(inv.Dir, rb.Name))
	if err == nil {
		err = runbook.PrintStatus(e.stdout, rb, runs, opt)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	return exitOK
}

// runbookExec runs or undoes a runbook through the SSH transport and the engine. The engine
// gets no Stopping: a first Ctrl-C lets the step in progress finish, apply steps included.
func runbookExec(e *env, inv *inventory.Inventory, rb *inventory.Runbook, f *runbookFlags, sub string, iv runbook.Invocation) int {
	prog := newProgress(e, false, true)
	eng, _, err := newEngine(e, inv, f.eng, prog, "berth runbook "+sub+" "+rb.Name)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	pool := &runbook.Pool{Dial: func(ctx context.Context, name string) (runbook.Conn, error) {
		h := inv.Host(name)
		if h == nil {
			return nil, fmt.Errorf("host %s is not in the inventory", name)
		}
		return eng.Dial(ctx, h)
	}}
	defer pool.Close()
	wd, _ := os.Getwd()
	r := &runbook.Runner{Inventory: inv, Runbook: rb, Hosts: pool, Applier: &runbook.EngineApplier{Engine: eng},
		Ask: terminalAsk(e), Yes: f.yes, DryRun: f.dry, Out: e.stdout, Who: hostlock.NewHolder("").Who, From: wd,
		Version: versionString(), Invocation: iv, Mask: inv.Masker()}
	ctx, stopping, done := runbookInterrupts(e, f.eng.timeout, r, sub)
	defer done()
	r.Stopping = stopping
	if sub == "undo" {
		err = r.Undo(ctx, f.run)
	} else {
		err = r.Run(ctx, runbook.Options{From: f.from, Only: f.only, New: f.nw, Run: f.run})
	}
	return runbookExit(e, err)
}

func runbookExit(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	var se *runbook.StepError
	if !errors.As(err, &se) { // a failed step was printed with its output already
		fmt.Fprintf(e.stderr, "error: %v\n", err)
	}
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		fmt.Fprintf(e.stderr, "hint: %s\n", h.Hint())
	}
	return exitError
}

// terminalAsk asks on the terminal; only "yes" is a yes. Without a terminal it returns nil,
// so that questions fail with a hint to use --yes.
func terminalAsk(e *env) func(context.Context, string) (bool, error) {
	in, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil
	}
	rd := bufio.NewReader(in)
	return func(_ context.Context, q string) (bool, error) {
		fmt.Fprintf(e.stderr, "%s Only 'yes' is accepted: ", q)
		line, err := rd.ReadString('\n')
		if err != nil {
			return false, fmt.Errorf("read answer: %w", err)
		}
		return strings.TrimSpace(line) == "yes", nil
	}
}

// runbookInterrupts returns the context of a run or undo: a first Ctrl-C (or SIGTERM) lets
// the step in progress finish and stops the run before the next one; a second one aborts the
// step. Each says so, and the second how to resume (the run prints it again when it stops).
func runbookInterrupts(e *env, timeout time.Duration, r *runbook.Runner, sub string) (context.Context, func() bool, func()) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	var stop atomic.Bool
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	what := map[string]string{"run": "the run", "undo": "the undo"}[sub]
	go func() {
		for range sig {
			run, step := r.Current()
			if stop.Swap(true) {
				fmt.Fprintf(e.stderr, "berth: second Ctrl-C: aborting %s now; the step may be left partly done and runs again from its start.\n", stepName(step))
				if sub == "run" && run != "" {
					fmt.Fprintf(e.stderr, "berth: %s\n", r.ResumeAdvice(run))
				}
				cancel()
				return
			}
			if step == "" {
				fmt.Fprintf(e.stderr, "berth: Ctrl-C: %s stops before its next step (Ctrl-C again to abort now)\n", what)
				continue
			}
			fmt.Fprintf(e.stderr, "berth: Ctrl-C: %s finishes, then %s stops (Ctrl-C again to abort the step now)\n", stepName(step), what)
		}
	}()
	return ctx, stop.Load, func() { signal.Stop(sig); cancel() }
}

func stepName(id string) string {
	if id == "" {
		return "what is in progress"
	}
	if u, ok := strings.CutSuffix(id, ".undo"); ok {
		return "the undo of step " + u
	}
	return "step " + id
}
