package runbook

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"time"

	"github.com/berth-dev/berth/modules"
)

// HostRunsDir is where each touched host keeps a copy of the summary of runs that touched it.
const HostRunsDir = "/var/lib/berth/runs"

// Summary is the copy of a run's state left on the hosts it touched.
type Summary struct {
	Runbook string        `json:"runbook"`
	Run     string        `json:"run"`
	Who     string        `json:"who"`
	Started time.Time     `json:"started"`
	Updated time.Time     `json:"updated"`
	State   string        `json:"state"` // finished, stopped, undone
	Steps   []StepSummary `json:"steps"`
}

// StepSummary is one step in a Summary.
type StepSummary struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// summarize builds the summary of the run in journal j.
func (r *Runner) summarize(j *Journal) (Summary, error) {
	recs, err := Read(j.Path())
	if err != nil {
		return Summary{}, err
	}
	s := Replay(j.Path(), recs)
	sum := Summary{Runbook: r.Runbook.Name, Run: s.ID, Who: s.Who, Started: s.Started, Updated: s.Last, State: "stopped"}
	switch {
	case s.Undone:
		sum.State = "undone"
	case s.Finished:
		sum.State = "finished"
	}
	for _, st := range r.Runbook.Steps {
		ss := StepSummary{ID: st.ID, Kind: st.Kind, State: s.State(st.ID)}
		if x := s.Steps[st.ID]; x != nil {
			ss.Error = x.Error
		}
		sum.Steps = append(sum.Steps, ss)
	}
	return sum, nil
}

// writeSummaries leaves the run's summary on every touched host (best effort: a host that
// is down is reported, and the local journal remains the record).
func (r *Runner) writeSummaries(ctx context.Context, j *Journal) {
	sum, err := r.summarize(j)
	if err != nil {
		r.printf("warning: run summary: %v\n", err)
		return
	}
	b, _ := json.MarshalIndent(sum, "", "  ")
	p := path.Join(HostRunsDir, r.Runbook.Name, sum.Run+".json")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, name := range r.touched() {
		if err := r.writeSummary(ctx, name, p, b); err != nil {
			r.printf("warning: run summary not written on %s: %v\n", name, err)
		}
	}
}

func (r *Runner) writeSummary(ctx context.Context, name, p string, b []byte) error {
	h, err := r.Hosts.Host(ctx, name)
	if err != nil {
		return err
	}
	if err := h.WriteFile(ctx, modules.FileWrite{Path: p, Content: append(b, '\n'), Mode: 0o640, MkdirParents: true}); err != nil {
		r.Hosts.Forget(name)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
