package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/berth-dev/berth/provisioner"
)

func init() {
	register(&command{
		name:    "plan",
		summary: "connect, observe and show what apply would change",
		args:    []param{optional("DIR")},
		about:   "exit codes: 0 nothing to change, 2 changes pending, 1 error (a host that could not be planned is one).",
		setup: func(fs *flag.FlagSet) action {
			f := addEngineFlags(fs, time.Hour)
			f.addForceRecreate(fs)
			out := fs.String("out", "", "save the plan to `FILE` for a later 'berth apply FILE'")
			return func(e *env, in invocation) int { return runPlan(e, dirArg(in.args), f, *out) }
		},
	})
}

// runPlan exits 0 when nothing would change, 2 when something would, 1 on errors (a host
// that could not be observed is an error: its plan is unknown).
func runPlan(e *env, dir string, f *engineFlags, out string) int {
	if !f.inv.check(e) {
		return exitError
	}
	sess, code := makePlan(e, dir, f, "berth plan", false)
	if sess == nil {
		return code
	}
	defer sess.Close()
	if out != "" {
		if err := sess.Plan.Save(out); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitError
		}
		fmt.Fprintf(e.stderr, "plan saved to %s; apply it with: berth apply %s\n", out, out)
	}
	return planExit(sess.Plan)
}

func planExit(p *provisioner.Plan) int {
	c := p.Count()
	switch {
	case c.Failed > 0:
		return exitError
	case c.Total() > 0:
		return exitChanges
	}
	return exitOK
}

// makePlan loads the inventory, connects to the selected hosts and plans them, printing the
// plan (text, or one JSON event with the plan under --json). It returns a nil session and
// the exit code when it could not get that far.
func makePlan(e *env, dir string, f *engineFlags, command string, readOnly bool) (*planRun, int) {
	inv, ok := loadInventory(e, dir, f.inv)
	if !ok {
		return nil, exitError
	}
	names, ok := selectLimit(e, inv, f.inv)
	if !ok {
		return nil, exitError
	}
	prog := newProgress(e, f.inv.json, f.noColor)
	eng, stats, err := newEngine(e, inv, f, prog, command)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return nil, exitError
	}
	ctx, stopping, done := interruptible(e, f.timeout)
	eng.Stopping = stopping
	sess := eng.Plan(ctx, names, readOnly)
	sess.Plan.ForceRecreate = f.forceRecreate
	prog.finish()
	r := &planRun{Session: sess, eng: eng, stats: stats, flags: f, env: e, prog: prog, done: done, ctx: ctx}
	if f.stats && readOnly { // apply prints them once, at its end
		stats.print(e)
	}
	if len(sess.Diags) > 0 {
		printDiags(e, inv.Files, sess.Diags, f.inv.diagFormat())
	}
	if f.inv.json {
		json.NewEncoder(e.stdout).Encode(struct {
			Type string            `json:"type"`
			Plan *provisioner.Plan `json:"plan"`
		}{"plan", sess.Plan})
	} else {
		provisioner.Render(e.stdout, sess.Plan)
		hostErrors(e, sess.Plan)
	}
	if sess.Diags.HasErrors() {
		r.Close()
		return nil, exitError
	}
	return r, exitOK
}

func dirArg(pos []string) string {
	if len(pos) == 0 {
		return "."
	}
	return pos[0]
}
