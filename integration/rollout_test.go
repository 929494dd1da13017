package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// Zero-downtime updates on real hosts through the real CLI: stack "slow" has three replicas
// on h1-h3, each taking 4 s to start, behind HAProxy on h4. A client sends 10 requests a
// second through HAProxy during every apply and the test prints how many failed.

const rolloutMain = `variable "strategy" {
  type    = string
  default = "rolling"
}

variable "parallel" {
  type    = number
  default = 1
}

stack "slow" {
  compose  = "stacks/slow"
  env_file = "slow.env"
  replicas = 3
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "40s"
  }
  update {
    strategy      = var.strategy
    parallel      = var.parallel
    drain_timeout = "10s"
  }
}

balancer "edge" {
  hosts = "role=lb"
  frontend "slow" {
    bind  = ":8000"
    stack = "slow"
    port  = "http"
  }
}
`

// rolloutCompose answers "VERSION CONTAINER-ID" after a 4 s start, and /cgi-bin/hold after
// 45 s (a request that outlasts the drain timeout); version "bad" never turns healthy, nor
// does version V on a host that has the file /srv/slow-flags/fail-V.
const rolloutCompose = `services:
  web:
    image: IMAGE
    environment:
      VERSION: ${VERSION}
    command: ["sh", "-c", "sleep 4 && mkdir -p /www/cgi-bin && echo \"$$VERSION $$(hostname)\" > /www/index.html && printf '#!/bin/sh\\nsleep 45\\necho Content-Type: text/plain\\necho\\necho held\\n' > /www/cgi-bin/hold && chmod +x /www/cgi-bin/hold && exec httpd -f -p 8080 -h /www"]
    expose:
      - "8080"
    volumes:
      - /srv/slow-flags:/flags:ro
    healthcheck:
      test: ["CMD-SHELL", "[ \"$$VERSION\" != bad ] && [ ! -e /flags/fail-$$VERSION ] && wget -q -O /dev/null http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 8
    stop_grace_period: 1s
`

type rolloutRun struct {
	*placementRun
	url string
}

func newRolloutRun(t *testing.T, bed *testbed.Bed) *rolloutRun {
	t.Helper()
	p := &placementRun{bin: berthBinary(t), dir: filepath.Join(t.TempDir(), "inv"), bed: bed}
	if err := bed.WriteInventory(p.dir); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"hosts.hcl":                placementHosts(bed),
		"main.hcl":                 rolloutMain,
		"slow.env":                 "VERSION=v1\n",
		"stacks/slow/compose.yaml": strings.ReplaceAll(rolloutCompose, "IMAGE", bed.Registry.Image),
	}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
	}
	return &rolloutRun{placementRun: p, url: fmt.Sprintf("http://%s:8000/", bed.Host("h4").Address)}
}

func (r *rolloutRun) setVersion(t *testing.T, v string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, "slow.env"), []byte("VERSION="+v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// versions asks every replica directly and returns its version, by host.
func (r *rolloutRun) versions(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rep := range readLock(t, r.dir).Stacks["slow"].Replicas {
		body, err := get(ctx, fmt.Sprintf("http://%s:%d/", r.bed.Host(rep.Host).Address, rep.Ports["http"]))
		if err != nil {
			t.Fatalf("replica %d on %s: %v", rep.Index, rep.Host, err)
		}
		v, _, _ := strings.Cut(body, " ")
		out[rep.Host] = v
	}
	return out
}

func (r *rolloutRun) wantVersion(ctx context.Context, t *testing.T, want string) {
	t.Helper()
	vs := r.versions(ctx, t)
	if len(vs) != 3 {
		t.Errorf("%d replicas answer, want 3: %v", len(vs), vs)
	}
	for h, v := range vs {
		if v != want {
			t.Errorf("replica on %s runs %s, want %s (all: %v)", h, v, want, vs)
		}
	}
}

// applyUnderLoad applies with the request loop running and returns the failed count, the
// apply's duration and its output.
func (r *rolloutRun) applyUnderLoad(ctx context.Context, t *testing.T, want int, args ...string) (int, time.Duration, string) {
	t.Helper()
	return r.applyUnderLoadArgs(ctx, t, want, append([]string{"apply", r.dir, "--yes"}, args...)...)
}

// applyUnderLoadArgs runs berth with args while the request loop runs.
func (r *rolloutRun) applyUnderLoadArgs(ctx context.Context, t *testing.T, want int, args ...string) (int, time.Duration, string) {
	t.Helper()
	loop := loopURLs(ctx, r.url)
	start := time.Now()
	out := r.berth(ctx, t, want, args...)
	took := time.Since(start)
	sent, failed := loop.stop()
	t.Logf("%s: %d requests through HAProxy, %d failed, apply took %s", strings.Join(args, " "), sent, len(failed), took.Round(100*time.Millisecond))
	if sent < 50 {
		t.Errorf("only %d requests ran during the apply: the loop proves nothing", sent)
	}
	for i, f := range failed {
		if i < 5 {
			t.Logf("  failed: %s", f)
		}
	}
	return len(failed), took, out
}

func TestRollingUpdate(t *testing.T) {
	bed := sharedBed(t, "bookworm-docker:4+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	r := newRolloutRun(t, bed)
	r.berth(ctx, t, 0, "apply", r.dir, "--yes")
	r.wantVersion(ctx, t, "v1")

	var allAtOnce time.Duration
	t.Run("before: an all-at-once update fails requests", func(t *testing.T) {
		r.setVersion(t, "v1b")
		failed, took, _ := r.applyUnderLoad(ctx, t, 0, "-var", "strategy=all-at-once")
		allAtOnce = took
		t.Logf("BEFORE (all-at-once): %d failed requests, %s", failed, took.Round(100*time.Millisecond))
		if failed == 0 {
			t.Errorf("an all-at-once update of slow-starting replicas failed no request: the loop cannot see an outage")
		}
		r.wantVersion(ctx, t, "v1b")
	})
	t.Run("a rolling update fails no request", func(t *testing.T) {
		r.setVersion(t, "v2")
		plan := r.berth(ctx, t, 2, "plan", r.dir)
		for _, want := range []string{"stack.slow: rolling, 1 replica per batch, each drained from balancer edge first", "batch 3: replica 2 on"} {
			if !strings.Contains(plan, want) {
				t.Errorf("the plan does not say %q:\n%s", want, plan)
			}
		}
		failed, took, out := r.applyUnderLoad(ctx, t, 0)
		t.Logf("AFTER (rolling): %d failed requests, %s (all-at-once took %s)", failed, took.Round(100*time.Millisecond), allAtOnce.Round(100*time.Millisecond))
		if failed > 0 {
			t.Errorf("%d requests failed during the rolling update", failed)
		}
		r.wantVersion(ctx, t, "v2")
		if !strings.Contains(out, "stack.slow (rolling): new version on h") {
			t.Errorf("the summary does not say where the new version runs:\n%s", out)
		}
	})
	t.Run("a version that never turns healthy stops at its first batch, fails no request and exits 1", func(t *testing.T) {
		r.setVersion(t, "bad")
		failed, _, out := r.applyUnderLoad(ctx, t, 1)
		if failed > 0 {
			t.Errorf("%d requests failed during the failed rollout", failed)
		}
		r.wantVersion(ctx, t, "v2")
		if !strings.Contains(out, "previous version on") || !strings.Contains(out, "rolled back") {
			t.Errorf("the summary does not say which replicas keep which version:\n%s", out)
		}
		t.Logf("the summary, for the record:\n%s", out[max(0, strings.Index(out, "Summary:")):])
		r.wantAllUp(ctx, t, "after the failed rollout")
	})
	t.Run("rollback brings the version before the running one back on every replica, rolling, and fails no request", func(t *testing.T) {
		hist := r.berth(ctx, t, 0, "history", "slow", r.dir)
		t.Logf("history, for the record:\n%s", hist)
		if n := strings.Count(hist, "  * "); n != 3 {
			t.Errorf("history marks %d running versions, want one per host (3):\n%s", n, hist)
		}
		if n := strings.Count(hist, " by "); n != 9 {
			t.Errorf("history lists %d versions, want 3 per host (v1, v1b, v2):\n%s", n, hist)
		}
		failed, took, out := r.applyUnderLoadArgs(ctx, t, 0, "rollback", "slow", r.dir, "--yes")
		t.Logf("ROLLBACK (rolling): %d failed requests, %s", failed, took.Round(100*time.Millisecond))
		if failed > 0 {
			t.Errorf("%d requests failed during the rollback", failed)
		}
		if !strings.Contains(out, "stack.slow (rolling): new version on h") {
			t.Errorf("the rollback did not roll:\n%s", out)
		}
		r.wantVersion(ctx, t, "v1b")
	})
	rolloutFaults(ctx, t, r)
}
