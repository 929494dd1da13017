package swarm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

// berth rollback of a Swarm stack: the services whose previous spec differs go back with
// docker service rollback, the plan naming the previous image and an env change without
// its value; the apply waits for the rollback to complete. Nothing previous: no change.
func TestRollbackPlansAndWaits(t *testing.T) {
	const now = `{"ID":"a","Spec":{"Name":"web_web","Labels":{"berth.hash":"new","berth.env-hash":"e2"}},` +
		`"PreviousSpec":{"Labels":{"berth.hash":"old","berth.env-hash":"e1"},"TaskTemplate":{"ContainerSpec":{"Image":"reg/web:1@sha256:ab"}}}`
	h := hosttest.New("h1")
	states := []string{`"UpdateStatus":{"State":"completed"}`, `"UpdateStatus":{"State":"rollback_started"}`, `"UpdateStatus":{"State":"rollback_completed"}`}
	h.Handle("sh -c 'ids=$(docker service ls", func([]string, []byte) modules.Result {
		st := states[0]
		if len(states) > 1 {
			states = states[1:]
		}
		return modules.Result{Stdout: []byte("[" + now + "," + st + `},{"ID":"b","Spec":{"Name":"web_db","Labels":{"berth.hash":"x"}}}]`)}
	})
	h.Reply("docker service ls", "web_web 2/2\nweb_db 1/1\n", 0)
	h.Reply("docker service rollback", "", 0)
	r := NewRollback("web", time.Minute)
	r.sleep = func(context.Context, time.Duration) error { return nil }
	cs := r.Diff(observe(t, h, r))
	if len(cs) != 1 || cs[0].Op != OpRollback || cs[0].Reason != "service web back to its previous deploy (reg/web:1, hash old), env (sensitive)" {
		t.Fatalf("changes %+v", cs)
	}
	if err := r.Apply(context.Background(), h, cs[0]); err != nil {
		t.Fatal(err)
	}
	var rolled []string
	for _, l := range h.Ran {
		if strings.HasPrefix(l, "docker service rollback") {
			rolled = append(rolled, l)
		}
	}
	if strings.Join(rolled, "|") != "docker service rollback --quiet web_web" || len(states) != 1 {
		t.Errorf("rolled back %v, states left %v", rolled, states)
	}
	h2 := hosttest.New("h1")
	h2.Reply("sh -c 'ids=$(docker service ls", `[{"ID":"b","Spec":{"Name":"web_db","Labels":{"berth.hash":"x"}}}]`, 0)
	if cs := r.Diff(observe(t, h2, r)); len(cs) != 0 {
		t.Errorf("no previous spec: %+v", cs)
	}
}
