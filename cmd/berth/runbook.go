package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/hostlock"
	"github.com/berth-dev/berth/provisioner/runbook"
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
			summary: "run a runbook's steps, or resume its last unfinished run",
			args:    runbookArgs,
			about: `run resumes the last unfinished run of NAME (after asking) at its first step not done;
--new starts over instead. Each run is journaled in DIR/.berth/runs/NAME/RUN.jsonl.`,
			setup: func(fs *flag.FlagSet) action {
				f := addRunbookFlags(fs)
				fs.StringVar(&f.from, "from", "", "start at `STEP`, running again the finished steps from there on")
				fs.StringVar(&f.only, "only", "", "run `STEP` alone")
				fs.BoolVar(&f.nw, "new", false, "start a new run even if the last one is unfinished")
				return f.action("run")
			},
		}, {
			name:    "status",
			summary: "show where the last run of a runbook stands (reads the journal, no network)",
			args:    runbookArgs,
			setup: func(fs *flag.FlagSet) action {
				f := addInventoryFlags(fs)
				return func(e *env, in invocation) int {
					inv, rb, ok := loadRunbook(e, in.args, f)
					if !ok {
						return exitError
					}
					return runbookStatus(e, inv, rb)
				}
			},
		}, {
			name:    "undo",
			summary: "undo the steps the last run finished, last first",
			args:    runbookArgs,
			about:   "Steps already undone are skipped, so an undo that stopped can be run again.",
			setup: func(fs *flag.FlagSet) action {
				return addRunbookFlags(fs).action("undo")
			},
		}},
	})
}

// runbookFlags are the flags of runbook run and undo; from, only and nw are run's alone.
type runbookFlags struct {
	eng          *engineFlags
	from, only   string
	yes, dry, nw bool
}

// addRunbookFlags registers the flags runbook run and undo share.
func addRunbookFlags(fs *flag.FlagSet) *runbookFlags {
	f := &runbookFlags{eng: addEngineFlags(fs, runbookTimeout)}
	fs.BoolVar(&f.yes, "yes", false, "answer yes to every question: resuming, confirm steps, undo")
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
		return runbookExec(e, inv, rb, f, sub)
	}
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

func runbookStatus(e *env, inv *inventory.Inventory, rb *inventory.Runbook) int {
	s, err := runbook.LastRun(runbook.Dir(inv.Dir, rb.Name))
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	runbook.PrintStatus(e.stdout, rb, s)
	return exitOK
}

// runbookExec runs or undoes a runbook through the SSH transport and the engine.
func runbookExec(e *env, inv *inventory.Inventory, rb *inventory.Runbook, f *runbookFlags, sub string) int {
	prog := newProgress(e, false, true)
	eng, _, err := newEngine(e, inv, f.eng, prog, "berth runbook "+sub+" "+rb.Name)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	ctx, stopping, done := interruptible(e, f.eng.timeout)
	defer done()
	eng.Stopping = stopping
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
		Version: versionString(), Stopping: stopping}
	if sub == "undo" {
		err = r.Undo(ctx)
	} else {
		err = r.Run(ctx, runbook.Options{From: f.from, Only: f.only, New: f.nw})
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
