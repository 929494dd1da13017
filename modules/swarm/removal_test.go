package swarm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

// A Swarm stack no longer on Swarm is removed last (teardown), saying why and that volumes
// stay; the removal tries docker stack rm until nothing of the stack is left, then takes its
// node label off. Nothing left: no change.
func TestRemovalPlansAndWaits(t *testing.T) {
	h := hosttest.New("h2")
	left := []string{"svc1\nnet1\n", "net1\n", ""}
	h.Handle("sh -c 'docker service ls", func([]string, []byte) modules.Result {
		out := left[0]
		if len(left) > 1 {
			left = left[1:]
		}
		return modules.Result{Stdout: []byte(out)}
	})
	h.Reply("docker stack rm old", "", 0)
	h.Reply("sh -c 'for id", "", 0)
	r := NewRemoval("old", "stack old is static now", "berth.stack.old")
	r.sleep = func(context.Context, time.Duration) error { return nil }
	cs := r.Diff(observe(t, h, r))
	if len(cs) != 1 || cs[0].Action != modules.Delete || cs[0].Address != "swarm.stack.old" || r.Phase() != modules.PhaseTeardown ||
		!strings.Contains(cs[0].Reason, "stack old is static now") || !strings.Contains(cs[0].Reason, "named volumes stay") {
		t.Fatalf("changes %+v", cs)
	}
	if err := r.Apply(context.Background(), h, cs[0]); err != nil {
		t.Fatal(err)
	}
	var rm, unlabel int
	for _, l := range h.Ran {
		switch {
		case l == "docker stack rm old":
			rm++
		case strings.HasPrefix(l, "sh -c 'for id"):
			unlabel++
			if !strings.HasSuffix(l, "unlabel berth.stack.old") {
				t.Errorf("unlabel: %s", l)
			}
		}
	}
	if rm != 2 || unlabel != 1 {
		t.Errorf("ran docker stack rm %d times, unlabel %d: %v", rm, unlabel, h.Ran)
	}
	if cs := r.Diff(observe(t, h, r)); len(cs) != 0 {
		t.Errorf("nothing left, changes %+v", cs)
	}
}
