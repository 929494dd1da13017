package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// healthError says which container kept the stack from turning healthy, and why. Callers
// wrap it with the stack and host.
type healthError struct {
	container string // name; "" when a container is missing
	id        string
	reason    string
}

func (e *healthError) Error() string {
	if e.container == "" {
		return e.reason
	}
	return "container " + e.container + " " + e.reason
}

// readiness is one look at the project's containers.
type readiness struct {
	ready   bool
	failed  *healthError // a container that will not recover by waiting
	pending *healthError // what is still awaited, for the timeout message
	// unchecked is true when a container has no healthcheck: "running" then proves little,
	// so readiness must be seen twice, poll apart, with the same containers and restart
	// counts (a crash-looping container is caught running between two restarts).
	unchecked bool
	seen      string // container IDs and restart counts
}

// waitHealthy polls the containers until every service has its containers running and
// healthy (or running, without a healthcheck). An exited or unhealthy container fails at
// once; anything else fails when the stack's health timeout is over. One code path serves
// both compose generations (v1 has no `up --wait`).
func (r *Resource) waitHealthy(ctx context.Context, h modules.Host) error {
	deadline := r.now().Add(r.spec.HealthTimeout)
	lastReady := ""
	for {
		cs, err := r.listContainers(ctx, h)
		if err != nil {
			return err
		}
		st := r.assess(cs)
		switch {
		case st.failed != nil:
			return st.failed
		case st.ready && (!st.unchecked || st.seen == lastReady):
			return nil
		case st.ready:
			lastReady = st.seen
			st.pending = &healthError{reason: "containers without healthcheck keep restarting"}
		default:
			lastReady = ""
		}
		if !r.now().Before(deadline) {
			st.pending.reason += fmt.Sprintf(" after %s", r.spec.HealthTimeout)
			return st.pending
		}
		if err := r.sleep(ctx, r.poll); err != nil {
			return fmt.Errorf("wait for stack %s on %s: %w", r.spec.Name, h.Name(), err)
		}
	}
}

// assess decides whether the containers are ready, failed, or still coming up.
func (r *Resource) assess(cs []container) readiness {
	names, want := r.services()
	bySvc := map[string][]container{}
	for _, c := range cs {
		bySvc[c.service()] = append(bySvc[c.service()], c)
	}
	var st readiness
	for _, svc := range names {
		if got := len(bySvc[svc]); got < want[svc] {
			st.wait(&healthError{reason: fmt.Sprintf("service %s has %d of %d containers", svc, got, want[svc])})
		}
		for _, c := range bySvc[svc] {
			st.look(c)
			st.unchecked = st.unchecked || c.health() == ""
			st.seen += fmt.Sprintf("%s:%d ", c.ID, c.RestartCount)
		}
	}
	st.ready = st.failed == nil && st.pending == nil
	return st
}

func (st *readiness) look(c container) {
	e := &healthError{container: c.name(), id: c.ID}
	switch {
	case c.State.Status == "exited" || c.State.Status == "dead":
		e.reason = fmt.Sprintf("%s (exit %d)", c.State.Status, c.State.ExitCode)
	case c.health() == "unhealthy":
		e.reason = "is unhealthy"
	case c.State.Status != "running":
		e.reason = "is " + c.State.Status
		st.wait(e)
		return
	case c.health() == "starting":
		e.reason = "is still starting (healthcheck)"
		st.wait(e)
		return
	default:
		return
	}
	if st.failed == nil {
		st.failed = e
	}
}

func (st *readiness) wait(e *healthError) {
	if st.pending == nil {
		st.pending = e
	}
}

// redact replaces every value of the env file found in s with "(sensitive)", so that a log
// excerpt cannot leak a secret the application printed.
func redact(s string, env []byte) string {
	for _, line := range strings.Split(string(env), "\n") {
		_, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if ok && len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "(sensitive)")
		}
	}
	return s
}
