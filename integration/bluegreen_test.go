package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// Blue-green (start-first) updates on real hosts through the real CLI: stack "bg" has one
// replica, taking 4 s to start, behind HAProxy on h4. A client sends 10 requests a second
// through HAProxy during every apply and the test prints how many failed.

const blueGreenMain = `stack "bg" {
  compose  = "stacks/bg"
  env_file = "bg.env"
  replicas = 1
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "40s"
  }
}

balancer "edge" {
  hosts = "role=lb"
  frontend "bg" {
    bind  = ":8001"
    stack = "bg"
    port  = "http"
  }
}
`

// bgLock is the stack's replica in berth.lock.json, standby ports included.
type bgLock struct {
	Host    string         `json:"host"`
	Ports   map[string]int `json:"ports"`
	Standby map[string]int `json:"standby"`
}

func newBlueGreenRun(t *testing.T, bed *testbed.Bed) *rolloutRun {
	t.Helper()
	p := &placementRun{bin: berthBinary(t), dir: filepath.Join(t.TempDir(), "inv"), bed: bed}
	if err := bed.WriteInventory(p.dir); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"hosts.hcl":              placementHosts(bed),
		"main.hcl":               blueGreenMain,
		"bg.env":                 "VERSION=v1\n",
		"stacks/bg/compose.yaml": strings.ReplaceAll(rolloutCompose, "IMAGE", bed.Registry.Image),
	}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
	}
	return &rolloutRun{placementRun: p, url: fmt.Sprintf("http://%s:8001/", bed.Host("h4").Address)}
}

func (r *rolloutRun) bgLock(t *testing.T) bgLock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "berth.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Stacks map[string]struct{ Replicas []bgLock }
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Stacks["bg"].Replicas); n != 1 {
		t.Fatalf("berth.lock.json has %d replicas of bg, want 1:\n%s", n, b)
	}
	return l.Stacks["bg"].Replicas[0]
}

// serving asks the replica on the port the lock file records and returns its version; it
// also checks that nothing answers on the standby port any more: the old version stopped.
func (r *rolloutRun) serving(ctx context.Context, t *testing.T) (bgLock, string) {
	t.Helper()
	l := r.bgLock(t)
	addr := r.bed.Host(l.Host).Address
	body, err := get(ctx, fmt.Sprintf("http://%s:%d/", addr, l.Ports["http"]))
	if err != nil {
		t.Fatalf("the port the lock file records (%s:%d) does not answer: %v", l.Host, l.Ports["http"], err)
	}
	if l.Standby["http"] == 0 || l.Standby["http"] == l.Ports["http"] {
		t.Errorf("the lock file has no standby port distinct from the port: %+v", l)
	} else if b, err := get(ctx, fmt.Sprintf("http://%s:%d/", addr, l.Standby["http"])); err == nil {
		t.Errorf("the standby port %d still answers %q: the old version was not stopped", l.Standby["http"], b)
	}
	v, _, _ := strings.Cut(body, " ")
	return l, v
}

// projects lists the compose projects with containers of stack bg on its host.
func (r *rolloutRun) projects(ctx context.Context, t *testing.T, host string) string {
	t.Helper()
	return r.exec(ctx, t, r.bed.Host(host), "sh", "-c", "docker ps -a --filter label=dev.berth.stack=bg --format '{{.Label \"com.docker.compose.project\"}}' | sort | tr '\\n' ' '")
}

func TestBlueGreenUpdate(t *testing.T) {
	bed := sharedBed(t, "bookworm-docker:4+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	r := newBlueGreenRun(t, bed)
	r.berth(ctx, t, 0, "apply", r.dir, "--yes")
	first, v := r.serving(ctx, t)
	if v != "v1" {
		t.Fatalf("first apply serves %q, want v1", v)
	}
	t.Logf("first apply: %s serves on port %d, standby %d", first.Host, first.Ports["http"], first.Standby["http"])

	update := func(t *testing.T, version string, from bgLock) bgLock {
		r.setEnv(t, version)
		plan := r.berth(ctx, t, 2, "plan", r.dir)
		want := fmt.Sprintf("stack.bg: start-first, the new version starts beside the running one, then balancer edge switches to it and the old one stops\n    batch 1: replica 0 on %s, port http %d -> %d", from.Host, from.Ports["http"], from.Standby["http"])
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
		failed, took, out := r.applyUnderLoad(ctx, t, 0)
		t.Logf("BLUE-GREEN to %s: %d failed requests, %s", version, failed, took.Round(100*time.Millisecond))
		if failed > 0 {
			t.Errorf("%d requests failed during the start-first update", failed)
		}
		if !strings.Contains(out, "stack.bg (start-first): new version on "+from.Host) {
			t.Errorf("the summary does not say where the new version runs:\n%s", out)
		}
		now, got := r.serving(ctx, t)
		if got != version {
			t.Errorf("the lock file's port serves %q, want %s", got, version)
		}
		if now.Ports["http"] != from.Standby["http"] || now.Standby["http"] != from.Ports["http"] {
			t.Errorf("ports did not alternate: before %+v, after %+v", from, now)
		}
		if next := r.berth(ctx, t, 0, "plan", r.dir); !strings.Contains(next, "no changes") {
			t.Errorf("the plan after the update is not clean:\n%s", next)
		}
		return now
	}
	var second bgLock
	t.Run("a version change starts beside, switches and fails no request", func(t *testing.T) {
		second = update(t, "v2", first)
		if p := r.projects(ctx, t, second.Host); p != "bg-b" {
			t.Errorf("containers of projects %q after the first switch, want bg-b only", p)
		}
	})
	if t.Failed() {
		return
	}
	var third bgLock
	t.Run("the next version change alternates back and fails no request", func(t *testing.T) {
		third = update(t, "v3", second)
		if third.Ports["http"] != first.Ports["http"] {
			t.Errorf("the second switch serves on %d, want the first port %d", third.Ports["http"], first.Ports["http"])
		}
		if p := r.projects(ctx, t, third.Host); p != "bg" {
			t.Errorf("containers of projects %q after the second switch, want bg only", p)
		}
	})
	if t.Failed() {
		return
	}
	t.Run("a new version that never turns healthy is removed, the old one keeps serving, no request fails, exit 1", func(t *testing.T) {
		r.setEnv(t, "bad")
		failed, _, out := r.applyUnderLoad(ctx, t, 1)
		t.Logf("BLUE-GREEN to a bad version: %d failed requests", failed)
		if failed > 0 {
			t.Errorf("%d requests failed during the failed start-first update", failed)
		}
		now, got := r.serving(ctx, t)
		if got != "v3" || now.Ports["http"] != third.Ports["http"] {
			t.Errorf("after the failed update %+v serves %q, want v3 on port %d", now, got, third.Ports["http"])
		}
		if p := r.projects(ctx, t, now.Host); p != "bg" {
			t.Errorf("containers of projects %q after the failed update, want bg only", p)
		}
		if !strings.Contains(out, "keeps serving") {
			t.Errorf("the output does not say the old version keeps serving:\n%s", out)
		}
		t.Logf("the summary, for the record:\n%s", out[max(0, strings.Index(out, "Summary:")):])
	})
}

func (r *rolloutRun) setEnv(t *testing.T, v string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, "bg.env"), []byte("VERSION="+v+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
