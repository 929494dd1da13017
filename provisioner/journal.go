package provisioner

import (
	"github.com/berth-dev/berth/provisioner/agent"
)

// Journaler is a host connection that keeps the run's journal on the host (the agent does:
// see agent.RunsDir). The engine journals each change it starts and how it ended, so that
// the host's record says where a run stopped even when berth did not live to say it.
type Journaler interface {
	Journal(e agent.Entry)
}

// journal appends en to the run's journal on the host of hs, when the run has an id and
// the connection keeps one.
func (e *Engine) journal(hs *hostSession, en agent.Entry) {
	j, ok := hs.conn.(Journaler)
	if e.Run == "" || !ok {
		return
	}
	en.Run = e.Run
	j.Journal(en)
}

// journalStart journals the start of a change and returns the function that journals its end.
func (e *Engine) journalStart(hs *hostSession, st Step) func(err error) {
	hs.seq++
	n, c := hs.seq, st.Change
	e.journal(hs, agent.Entry{Event: agent.EventStart, Step: n, Address: c.Address, Op: c.Op, Text: c.Reason})
	return func(err error) {
		en := agent.Entry{Event: agent.EventDone, Step: n, Address: c.Address, Op: c.Op}
		if err != nil {
			en.Event, en.Text = agent.EventFailed, err.Error()
		}
		e.journal(hs, en)
	}
}
