package provisioner

import "time"

// Event types, in the order a host normally goes through them. The JSON event stream
// (`--json`) is these, one per line; docs/plan-apply-drift.md documents the schema.
const (
	EventConnecting   = "host.connecting"
	EventConnected    = "host.connected"
	EventObserved     = "host.observed"
	EventChangeStart  = "change.started"
	EventChangeDone   = "change.finished"
	EventChangeFailed = "change.failed"
	EventHostFailed   = "host.failed"
	EventHostDone     = "host.done"
	EventHostSkipped  = "host.skipped"
	EventOutput       = "output"
	EventRollout      = "rollout.step" // a rolling update drains or restores a replica

	EventPlanned       = "plan.ready"
	EventApplyFinished = "apply.finished"
)

// Event is something the engine reports while it works. Consumers (the live terminal view,
// plain lines, JSON lines) must not block.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Host    string    `json:"host,omitempty"`
	Address string    `json:"address,omitempty"`
	Action  string    `json:"action,omitempty"`
	Op      string    `json:"op,omitempty"`
	Message string    `json:"message,omitempty"`
	Error   string    `json:"error,omitempty"`
	// Seconds is the duration of what just finished.
	Seconds float64 `json:"seconds,omitempty"`
}

// Sink receives events. It is called from several goroutines and must be safe for that.
type Sink func(Event)

func (s Sink) emit(e Event) {
	if s == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	s(e)
}
