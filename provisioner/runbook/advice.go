package runbook

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
)

// Invocation is how berth was run, to print commands that can be copied: the inventory
// directory argument as typed ("" when it was left out) and the flags that load the same
// inventory (-var-file FILE, -var NAME=VALUE with sensitive values masked).
type Invocation struct {
	Dir   string
	Flags []string
}

// Command is "berth runbook SUB NAME [DIR] [flags] [extra...]", quoted for a shell.
func (iv Invocation) Command(sub, name string, extra ...string) string {
	argv := []string{"berth", "runbook", sub, name}
	if iv.Dir != "" {
		argv = append(argv, iv.Dir)
	}
	argv = append(append(argv, iv.Flags...), extra...)
	return modules.QuoteArgv(argv)
}

// Resume says what a plain 'berth runbook run' does next, from the runs so far: the command
// that resumes, and where; or why nothing is resumed. It is what status prints and what a
// stopped run prints, so both always agree.
func Resume(rb *inventory.Runbook, runs []*RunState, iv Invocation) string {
	if len(runs) == 0 {
		return "To start it: " + iv.Command("run", rb.Name)
	}
	p, err := decide(rb, runs, Options{})
	switch {
	case err != nil:
		return "Nothing to resume: " + trimClosed(err)
	case p.resume == nil:
		return fmt.Sprintf("To run the steps not done yet (%s) in a new run: %s", strings.Join(p.steps, ", "), iv.Command("run", rb.Name))
	}
	return fmt.Sprintf("To resume run %s at step %s: %s", p.resume.ID, p.todo[0].ID, iv.Command("run", rb.Name))
}

// resumeRun says how to resume run id: the plain command when that is what it resumes, else
// with --run.
func resumeRun(rb *inventory.Runbook, runs []*RunState, id string, iv Invocation) string {
	if p, err := decide(rb, runs, Options{}); err == nil && p.resume != nil && p.resume.ID == id {
		return fmt.Sprintf("To resume it at step %s: %s", p.todo[0].ID, iv.Command("run", rb.Name))
	}
	p, err := decide(rb, runs, Options{Run: id})
	if err != nil {
		return "It cannot be resumed: " + trimClosed(err)
	}
	return fmt.Sprintf("To resume it at step %s: %s", p.todo[0].ID, iv.Command("run", rb.Name, "--run", id))
}

// trimClosed words an ErrRunClosed error as a sentence.
func trimClosed(err error) string {
	return strings.Replace(err.Error(), ": "+ErrRunClosed.Error(), "", 1)
}
