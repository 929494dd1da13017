package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// A deploy survives its operator (issue 19): berth killed, interrupted twice, stopped, cut off
// from the host, or the host rebooted, in the middle of a stack's deploy. The host carries the
// deploy on its own (the agent's job): within the stack's health timeout every replica serves
// the old or the new version, the host lock is released once the host is done, its journal says
// what happened, and the next apply converges with exit 0, showing how the lost run ended.

// slowWeb starts httpd 15 s after the container starts (its healthcheck gives it 30 s): long
// enough for a fault to land while the host waits for the new version to turn healthy, and
// for the next berth to find the host still finishing it.
func (r *relRun) setSlowWeb(t *testing.T, greeting string) {
	t.Helper()
	r.setWeb(t, greeting, healthy)
	c := strings.NewReplacer("IMAGE", r.bed.Registry.Image, "HEALTH", healthy, "exec httpd", "sleep 15 && exec httpd", "retries: 5", "retries: 5\n      start_period: 30s").Replace(webCompose)
	r.writeInv(t, "stacks/web/compose.yaml", c)
}

// clientLoop asks every web replica for its page every 200 ms until stop, counting answers
// that are neither want nor old.
type clientLoop struct {
	total, failed atomic.Int64
	stop          chan struct{}
	wg            sync.WaitGroup
}

func (r *relRun) startClients(t *testing.T, answers ...string) *clientLoop {
	t.Helper()
	cl := &clientLoop{stop: make(chan struct{})}
	for _, rep := range readLock(t, r.dir).Stacks["web"].Replicas {
		var addr string
		for _, h := range r.bed.Hosts {
			if h.Name == rep.Host {
				addr = h.Address
			}
		}
		url := fmt.Sprintf("http://%s:%d/", addr, rep.Ports["http"])
		cl.wg.Add(1)
		go func() {
			defer cl.wg.Done()
			for {
				select {
				case <-cl.stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				got, err := get(ctx, url)
				cancel()
				cl.total.Add(1)
				ok := false
				for _, a := range answers {
					ok = ok || (err == nil && got == a)
				}
				if !ok {
					cl.failed.Add(1)
				}
			}
		}()
	}
	return cl
}

func (cl *clientLoop) end(t *testing.T, what string) {
	close(cl.stop)
	cl.wg.Wait()
	t.Logf("%s: %d of %d requests failed (a stop-first replica is down while it restarts: 15 s each here)", what, cl.failed.Load(), cl.total.Load())
}

// journals lists the run journals on h, oldest run first (run ids start with their time).
func journals(t *testing.T, h *testbed.Host) []string {
	t.Helper()
	return strings.Fields(hostOut(t, h, "sh", "-c", "ls -1 /var/lib/berth/runs/*.jsonl 2>/dev/null | sort; true"))
}

// faultedJournal is the journal of the first run on h that is not in before: the run the
// fault struck (a later apply's journal is newer).
func faultedJournal(t *testing.T, h *testbed.Host, before []string) string {
	t.Helper()
	for _, j := range journals(t, h) {
		if !slices.Contains(before, j) {
			return hostOut(t, h, "cat", j)
		}
	}
	return ""
}

// untilServing waits, up to limit, until every web replica answers one of the versions, and
// returns how long that took (limit+ when it never happened: the test says so).
func (r *relRun) untilServing(t *testing.T, limit time.Duration, versions ...string) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for {
		all := true
		for _, rep := range readLock(t, r.dir).Stacks["web"].Replicas {
			var addr string
			for _, h := range r.bed.Hosts {
				if h.Name == rep.Host {
					addr = h.Address
				}
			}
			got, _ := get(context.Background(), fmt.Sprintf("http://%s:%d/", addr, rep.Ports["http"]))
			all = all && slices.Contains(versions, got)
		}
		if all {
			return time.Since(start), true
		}
		if time.Since(start) > limit {
			return limit, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestDeploySurvivesItsOperator(t *testing.T) {
	r := newRelRun(t)
	h1, h2 := r.bed.Hosts[0], r.bed.Hosts[1]
	ctx := context.Background()
	r.berth(t, 10*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
	version := 0
	var before []string // h1's journals before the fault
	// fault runs one scenario: web moves from its version to the next, slow to start; fault
	// strikes once h1's replica starts deploying. after checks berth's own result.
	fault := func(name string, strike func(f *faultRun), after func(t *testing.T, res berthResult), rebooted bool) {
		t.Run(name, func(t *testing.T) {
			old := fmt.Sprintf("v%d", version)
			version++
			next := fmt.Sprintf("v%d", version)
			r.setWeb(t, old, healthy)
			r.berth(t, 10*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
			r.setSlowWeb(t, next)
			before = journals(t, h1)
			cl := r.startClients(t, old, next)
			start := time.Now()
			res := r.withFault(t, 10*time.Minute, []string{"apply", r.dir, "--yes"}, onChange("h1", "stack.web"), strike)
			after(t, res)
			if !rebooted {
				// The host finished on its own: within the health timeout (60 s) after the
				// event, every replica serves a version, the lock is free, the journal says.
				took, ok := r.untilServing(t, 150*time.Second, old, next)
				t.Logf("%s: every replica serves %s or %s %s after berth's end (%s after the deploy started)", name, old, next, took.Round(time.Second), time.Since(start).Round(time.Second))
				if !ok {
					t.Errorf("%s: a replica serves neither %s nor %s 150 s after berth's end", name, old, next)
				}
				eventually(t, 150*time.Second, func() bool { return !lockHeld(t, h1) }, "h1: the lock is still held after the host finished")
			}
			cl.end(t, name)
			j := faultedJournal(t, h1, before)
			if !strings.Contains(j, `"address":"stack.web"`) || !strings.Contains(j, `"event":"end"`) {
				t.Errorf("h1: the journal does not say how the run ended:\n%s", j)
			}
			next1 := r.berth(t, 10*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
			t.Logf("next apply:\n%s", next1.Stdout)
			for _, h := range r.bed.Hosts {
				r.served(t, h, next)
			}
			r.converged(t)
		})
	}
	lost := func(t *testing.T, res berthResult) {
		if j := faultedJournal(t, h1, before); !strings.Contains(j, `"event":"lost"`) {
			t.Errorf("h1: the journal does not say berth went away:\n%s", j)
		}
		eventually(t, 90*time.Second, func() bool {
			return strings.Contains(faultedJournal(t, h1, before), "host lock released")
		}, "h1: the host did not end the run and release its lock")
	}
	fault("berth killed with SIGKILL during the deploy", func(f *faultRun) {
		time.Sleep(3 * time.Second)
		f.signal(t, syscall.SIGKILL)
	}, func(t *testing.T, res berthResult) {
		// At once: the next apply finds the host finishing the killed berth's deploy, says
		// so, shows the run's journal as it grows, and goes on once the host is done.
		next := r.berth(t, 10*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		if !strings.Contains(next.Stderr, "lost its berth") || !strings.Contains(next.Stderr, "h1:   ") {
			t.Errorf("the next apply did not wait for the host's run, showing its journal:\n%s", next.Stderr)
		}
		t.Logf("the next apply, started at once:\n%s", next.Stderr)
		lost(t, res)
	}, false)
	fault("Ctrl-C twice during the deploy", func(f *faultRun) {
		time.Sleep(3 * time.Second)
		f.signal(t, syscall.SIGINT)
		time.Sleep(500 * time.Millisecond)
		f.signal(t, syscall.SIGINT)
	}, func(t *testing.T, res berthResult) {
		out := res.Stdout + res.Stderr
		if res.Code != 1 || !strings.Contains(res.Stderr, "each host finishes or rolls back the change it is in on its own") ||
			!strings.Contains(out, "the host carries the change out on its own") {
			t.Errorf("exit %d, want 1, saying the host carries on\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		lost(t, res)
		// The next plan says how the lost run ended (until the next apply begins a run).
		plan := r.berthAny(t, 5*time.Minute, "plan", r.dir, "--no-color")
		if !strings.Contains(plan.Stdout, "h1: note: the last run on this host") || !strings.Contains(plan.Stdout, "which the host carried on: done") {
			t.Errorf("plan does not show how the lost run ended:\n%s", plan.Stdout)
		}
		// berth runs lists it, and prints it step by step.
		runs := r.berth(t, time.Minute, 0, "runs", "h1", r.dir, "--no-color")
		id := strings.Fields(runs.Stdout + " x")[0]
		if !strings.Contains(runs.Stdout, "ended: berth's connection ended during step") {
			t.Errorf("berth runs does not show how the lost run ended:\n%s", runs.Stdout)
		}
		one := r.berth(t, time.Minute, 0, "runs", "h1", r.dir, "--run", id, "--no-color")
		if !strings.Contains(one.Stdout, "lost") || !strings.Contains(one.Stdout, "step 1 stack.web deploy") {
			t.Errorf("berth runs --run %s:\n%s", id, one.Stdout)
		}
	}, false)
	fault("berth stopped (SIGSTOP) for 60 s during the health wait", func(f *faultRun) {
		time.Sleep(3 * time.Second)
		f.signal(t, syscall.SIGSTOP)
		time.Sleep(60 * time.Second)
		f.signal(t, syscall.SIGCONT)
	}, func(t *testing.T, res berthResult) {
		t.Logf("berth after SIGCONT: exit %d, h1 %s", res.Code, outcome(res.Stdout, "h1"))
	}, false)
	fault("the network to the host cut during the deploy, restored 60 s later", func(f *faultRun) {
		time.Sleep(3 * time.Second)
		if err := h1.Disconnect(ctx); err != nil {
			t.Error(err)
		}
		time.Sleep(60 * time.Second)
		if err := h1.Reconnect(ctx); err != nil {
			t.Error(err)
		}
	}, func(t *testing.T, res berthResult) {
		if !strings.Contains(res.Stdout+res.Stderr, "the host carries the change out on its own") {
			t.Errorf("berth does not say the host carries on:\n%s\n%s", res.Stdout, res.Stderr)
		}
	}, false)
	fault("the host rebooted during the deploy", func(f *faultRun) {
		time.Sleep(3 * time.Second)
		if err := h1.Stop(ctx); err != nil {
			t.Error(err)
		}
		if err := h1.Start(ctx); err != nil {
			t.Error(err)
		}
	}, func(t *testing.T, res berthResult) {
		if err := h1.WaitSSH(ctx, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		// The shutdown ends the SSH session, then kills the job: the agent may still end
		// the run (the job killed: "failed"), or the next session's agent does ("cut").
		plan := r.berthAny(t, 5*time.Minute, "plan", r.dir, "--no-color")
		note := after(plan.Stdout, "h1: note:")
		if note == "" || !(strings.Contains(plan.Stdout, "the run was cut") || strings.Contains(plan.Stdout, "which the host carried on: failed")) {
			t.Errorf("plan does not say where the cut run stopped:\n%s", plan.Stdout)
		}
	}, true)
	_ = h2
}
