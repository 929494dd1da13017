package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rolloutFaults are the faults of a rolling update, on TestRollingUpdate's bed and stack
// (running v1b when they start): a batch that half fails, a drain that never ends, a
// missing admin socket and a Ctrl-C. Each prints its failed-request count.
func rolloutFaults(ctx context.Context, t *testing.T, r *rolloutRun) {
	t.Run("a failed batch of two goes back as a whole: every replica keeps the version it had", func(t *testing.T) {
		before := r.versions(ctx, t)
		r.setVersion(t, "half")
		// Replica 1 is in the first batch with replica 0 and does not turn healthy on its host.
		h := r.replicaHost(t, 1)
		r.exec(ctx, t, r.bed.Host(h), "sh", "-c", "mkdir -p /srv/slow-flags && touch /srv/slow-flags/fail-half")
		defer r.exec(ctx, t, r.bed.Host(h), "rm", "-f", "/srv/slow-flags/fail-half")
		plan := r.berth(ctx, t, 2, "plan", r.dir, "-var", "parallel=2")
		if want := "2 replicas per batch, each drained from balancer edge first (drain timeout 10s); a failed batch is rolled back as a whole"; !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
		failed, _, out := r.applyUnderLoad(ctx, t, 1, "-var", "parallel=2")
		t.Logf("FAILED BATCH OF TWO: %d failed requests", failed)
		if failed > 0 {
			t.Errorf("%d requests failed while the batch went back", failed)
		}
		if after := r.versions(ctx, t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("replicas run %v after the failed rollout, want the versions they had: %v", after, before)
		}
		r.wantAllUp(ctx, t, "after the batch went back")
		if !strings.Contains(out, "replica 0 returned to the version it had") || !strings.Contains(out, "new version on none") {
			t.Errorf("the summary does not say replica 0 was returned:\n%s", out)
		}
		t.Logf("the summary, for the record:\n%s", out[max(0, strings.Index(out, "Summary:")):])
	})
	t.Run("a drain that never ends is bounded by drain_timeout and the rollout goes on", func(t *testing.T) {
		r.setVersion(t, "v3")
		held := r.holdRequests(ctx, 3)
		failed, _, out := r.applyUnderLoad(ctx, t, 0)
		t.Logf("NEVER-ENDING DRAIN: %d failed requests (besides the held ones)", failed)
		if failed > 0 {
			t.Errorf("%d requests failed during the rollout", failed)
		}
		if !strings.Contains(out, "drain timeout 10s passed with requests in flight; taken out anyway") {
			t.Errorf("no drain timed out, the held requests did not hold:\n%s", out)
		}
		r.wantVersion(ctx, t, "v3")
		for _, res := range held() {
			t.Logf("  held request: %s", res)
		}
	})
	t.Run("a missing admin socket stops the deploy before any container is touched", func(t *testing.T) {
		r.setVersion(t, "v4")
		was := r.versions(ctx, t)
		before := r.containerIDs(ctx, t)
		lb := r.bed.Host("h4")
		r.exec(ctx, t, lb, "mv", "/run/haproxy/admin.sock", "/run/haproxy/admin.sock.away")
		defer lb.Exec(context.Background(), "sh", "-c", "if [ -e /run/haproxy/admin.sock.away ]; then mv /run/haproxy/admin.sock.away /run/haproxy/admin.sock; fi")
		// The apply stops within seconds: the loop's count is printed, not checked for size.
		loop := loopURLs(ctx, r.url)
		out := r.berth(ctx, t, 1, "apply", r.dir, "--yes")
		sent, fails := loop.stop()
		t.Logf("MISSING ADMIN SOCKET: %d requests through HAProxy, %d failed", sent, len(fails))
		if len(fails) > 0 {
			t.Errorf("%d requests failed: %v", len(fails), fails)
		}
		if !strings.Contains(out, "no container was touched") || !strings.Contains(out, "admin") {
			t.Errorf("the output does not say the admin socket stopped the deploy before any container:\n%s", out)
		}
		if after := r.containerIDs(ctx, t); after != before {
			t.Errorf("containers changed although the deploy did not start:\nbefore %s\nafter  %s", before, after)
		}
		if now := r.versions(ctx, t); fmt.Sprint(now) != fmt.Sprint(was) {
			t.Errorf("replicas run %v, want %v", now, was)
		}
		t.Logf("the output, for the record:\n%s", out[max(0, strings.Index(out, "Summary:")):])
	})
	t.Run("Ctrl-C during a rollout finishes the batch, leaves no replica drained or down, and the next apply converges", func(t *testing.T) {
		r.setVersion(t, "v4")
		loop := loopURLs(ctx, r.url)
		res := runWithFault(t, 10*time.Minute, nil, []string{"apply", r.dir, "--yes"}, func(ev map[string]any) bool {
			msg, _ := ev["message"].(string)
			return ev["type"] == "rollout.step" && strings.HasPrefix(msg, "draining ")
		}, func(f *faultRun) { f.signal(t, syscall.SIGINT) })
		sent, fails := loop.stop()
		t.Logf("CTRL-C: %d requests through HAProxy, %d failed; berth exit %d", sent, len(fails), res.Code)
		for _, f := range fails {
			t.Logf("  failed: %s", f)
		}
		if len(fails) > 0 {
			t.Errorf("%d requests failed around the interrupt", len(fails))
		}
		if res.Code == 0 {
			t.Errorf("an interrupted rollout exits 0:\n%s", res.Stdout)
		}
		r.wantAllUp(ctx, t, "after the interrupt")
		vs := r.versions(ctx, t) // every replica answers: none is down
		t.Logf("versions after the interrupt: %v", vs)
		for h, v := range vs {
			if v != "v3" && v != "v4" {
				t.Errorf("replica on %s runs %s after the interrupt, want v3 or v4", h, v)
			}
		}
		failed, _, _ := r.applyUnderLoad(ctx, t, 0)
		t.Logf("CTRL-C, the next apply: %d failed requests", failed)
		if failed > 0 {
			t.Errorf("%d requests failed during the apply after the interrupt", failed)
		}
		r.wantVersion(ctx, t, "v4")
	})
}

// replicaHost is the host of the stack's replica index, as the lock file has it.
func (r *rolloutRun) replicaHost(t *testing.T, index int) string {
	t.Helper()
	for _, rep := range readLock(t, r.dir).Stacks["slow"].Replicas {
		if rep.Index == index {
			return rep.Host
		}
	}
	t.Fatalf("no replica %d in berth.lock.json", index)
	return ""
}

// serverStatus is HAProxy's `show stat` on h4 for the stack's servers: "SERVER STATUS" lines.
func (r *rolloutRun) serverStatus(ctx context.Context, t *testing.T) string {
	t.Helper()
	return r.exec(ctx, t, r.bed.Host("h4"), "sh", "-c", "echo 'show stat' | python3 -c \"import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect('/run/haproxy/admin.sock');s.sendall(sys.stdin.buffer.read());s.shutdown(1);sys.stdout.write(s.makefile().read())\" | grep '^slow_http,slow-' | cut -d, -f2,18")
}

// wantAllUp checks that HAProxy sends to every replica: none drained, in maintenance or down.
func (r *rolloutRun) wantAllUp(ctx context.Context, t *testing.T, when string) {
	t.Helper()
	if st := r.serverStatus(ctx, t); strings.Count(st, ",UP") != 3 {
		t.Errorf("HAProxy does not have every replica up %s:\n%s", when, st)
	}
}

// containerIDs lists the stack's containers on the app hosts: "HOST:ID" sorted.
func (r *rolloutRun) containerIDs(ctx context.Context, t *testing.T) string {
	t.Helper()
	var ids []string
	for _, h := range []string{"h1", "h2", "h3"} {
		out := r.exec(ctx, t, r.bed.Host(h), "sh", "-c", `docker ps -a --no-trunc --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | grep -E ' slow(-b)?$' | cut -d' ' -f1 || true`)
		for _, id := range strings.Fields(out) {
			ids = append(ids, h+":"+id)
		}
	}
	sort.Strings(ids)
	return strings.Join(ids, " ")
}

// holdClient waits for a held request longer than HAProxy's server timeout (60 s).
var holdClient = &http.Client{Timeout: 90 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// holdRequests starts n requests through HAProxy that each hold a session 45 s (HAProxy
// gives one to each server in turn) and returns a function that waits for them and says
// how each ended.
func (r *rolloutRun) holdRequests(ctx context.Context, n int) func() []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"cgi-bin/hold", nil)
			if err != nil {
				out[i] = err.Error()
				return
			}
			resp, err := holdClient.Do(req)
			if err != nil {
				out[i] = fmt.Sprintf("cut after %s: %v", time.Since(start).Round(time.Second), err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out[i] = fmt.Sprintf("%s %q after %s", resp.Status, strings.TrimSpace(string(body)), time.Since(start).Round(time.Second))
		}()
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	return func() []string { wg.Wait(); return out }
}
