package runbook

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/inventory"
)

// dryRun shows what each step would do. It takes no lock and writes no journal; apply steps
// plan (observe only) and every other step prints its commands.
func (r *Runner) dryRun(ctx context.Context, todo []*inventory.Step) error {
	r.printf("Dry run of runbook %s: nothing is changed on any host.\n", r.Runbook.Name)
	var failed []string
	for _, st := range todo {
		hosts := r.stepHosts(st)
		r.printf("\n==> [%s] %s (%s)\n", r.position(st), st.ID, describeTarget(st, hosts))
		if err := r.exec(ctx, nil, st, newCapture(r.Out)); err != nil {
			r.printf("    cannot show this step: %v\n", err)
			failed = append(failed, st.ID)
		}
		if st.Undo != nil {
			r.printf("    undo: %s\n", r.undoSummary(st))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("dry run: %d steps could not be shown: %v", len(failed), failed)
	}
	return nil
}

// undoSummary says in one line what a step's undo would do.
func (r *Runner) undoSummary(st *inventory.Step) string {
	u := undoOf(st)
	return describeTarget(u, r.stepHosts(u))
}
