package conn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

// CanDetach implements modules.Detacher: a job needs the agent, running as root (the run's
// journal is under /var/lib/berth), inside a run berth has begun in that journal.
func (s *SSH) CanDetach() bool {
	a, ok := s.runner.sh.(*agentShell)
	if !ok {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s.jmu.Lock()
	defer s.jmu.Unlock()
	return a.client != nil && a.failed == "" && a.uid == 0 && s.inRun
}

// Journal appends e to the run's journal on the host, through the agent, without waiting:
// the agent handles journal requests in order with the requests that follow. Without an
// agent there is no journal (docs/plan-apply-drift.md says what that costs).
func (s *SSH) Journal(e agent.Entry) {
	a, ok := s.runner.sh.(*agentShell)
	if !ok {
		return
	}
	a.mu.Lock()
	c := a.client
	a.mu.Unlock()
	if c == nil {
		return
	}
	s.jmu.Lock()
	switch e.Event {
	case agent.EventBegin:
		s.inRun = true
	case agent.EventEnd:
		s.inRun = false
	}
	s.jmu.Unlock()
	c.write(false, &agent.Request{ID: c.next.Add(1), Op: agent.OpJournal, Entry: &e})
}

// Detach implements modules.Detacher: the agent starts the job as a process of its own and
// relays its journal until the job's outcome. Losing the agent (berth cut off from the host)
// or ctx's end stops only the waiting: the host carries the change out regardless.
func (s *SSH) Detach(ctx context.Context, job modules.Job) error {
	req := &agent.Request{Op: agent.OpJob, Job: &agent.Job{Kind: job.Kind, Title: job.Title, Host: s.name, Data: job.Data}}
	r, ok, err := s.agentDo(ctx, req, func(o agent.Output) {
		var e agent.Entry
		if s.JobProgress != nil && json.Unmarshal(o.Data, &e) == nil && e.Text != "" {
			s.JobProgress(job.Title + " on the host: " + e.Text)
		}
	})
	if ok && err != nil {
		s.jmu.Lock()
		s.onHost++ // its run's lock is the host's to release now (HostOwnsRun)
		s.jmu.Unlock()
	}
	switch {
	case !ok:
		return fmt.Errorf("%s on %s: the agent is not available to carry it out", job.Title, s.name)
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("%s on %s: stopped waiting (%w); the host carries the change out on its own: its outcome will be in `berth runs %s`", job.Title, s.name, err, s.name)
	case err != nil:
		return fmt.Errorf("%s on %s: lost the host (%v); the host carries the change out on its own: its outcome will be in `berth runs %s`", job.Title, s.name, err, s.name)
	case r.Error != "":
		return fmt.Errorf("%s on %s: %s", job.Title, s.name, r.Error)
	case r.Job == nil:
		return fmt.Errorf("%s on %s: the agent answered without an outcome", job.Title, s.name)
	case r.Job.Error != "":
		return errors.New(r.Job.Error)
	}
	return nil
}

// HostOwnsRun reports that a job this berth stopped waiting for may still run on the host:
// the run's lock and end are then the host's (the agent ends the run when berth's session
// ends and the job is done), and berth must neither journal the end nor release the lock.
func (s *SSH) HostOwnsRun() bool {
	s.jmu.Lock()
	defer s.jmu.Unlock()
	return s.onHost > 0
}

// AgentLock implements hostlock.AgentLocker: the agent takes or releases the host lock
// itself, in order with the requests that follow. ok is false without an agent.
func (s *SSH) AgentLock(ctx context.Context, op string, l agent.Lock) (agent.LockAnswer, bool, error) {
	r, ok, err := s.agentDo(ctx, &agent.Request{Op: op, Lock: &l}, nil)
	switch {
	case !ok || err != nil:
		return agent.LockAnswer{}, ok, err
	case r.Error != "":
		return agent.LockAnswer{}, true, errors.New(r.Error)
	case r.Lock == nil:
		return agent.LockAnswer{}, true, errors.New("the agent answered without the lock's state")
	}
	return *r.Lock, true, nil
}
