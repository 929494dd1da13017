package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// Docker Swarm mode through the real CLI, on a bed of its own: three hosts (Debian 12 with
// Docker 20.10 and Debian 13 with Docker 26.1) form a swarm of three managers from the
// inventory (h1 inits, h2 and h3 join with the manager token), a Swarm stack
// deploys with docker stack deploy and answers on every node in host mode, a second run
// changes nothing, drift sees nodes drained, relabelled and down, HAProxy on h1 follows the
// tasks through a rolling update and a host failure, and `berth export swarm` writes a stack
// file that plain docker stack deploy runs. A canary in the env file must appear in no output
// and in no stack file.

const swarmCanary = "canary-Sw4rm-never-print"

const swarmMain = `variable "replicas" {
  type    = number
  default = 3
}

swarm {
  hosts    = "role=app"
  managers = ["h1", "h2", "h3"]
}

stack "web" {
  compose  = "stacks/web"
  env_file = "web.env"
  mode     = "swarm"
  replicas = var.replicas
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
    host      = 18080
  }
  health {
    timeout = "90s"
  }
  update {
    strategy = "start-first"
  }
}

balancer "edge" {
  hosts = "h1"
  frontend "web" {
    bind  = ":8000"
    stack = "web"
    port  = "http"
  }
}
`

// swarmOld is a second stack, moved from static placement to Swarm and back by the tests,
// its port automatic in both modes; it reuses the web stack's compose project and env file.
const swarmOld = `
stack "old" {
  compose  = "stacks/web"
  env_file = "web.env"
  mode     = "MODE"
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "90s"
  }
}

balancer "edge2" {
  hosts = "h1"
  frontend "old" {
    bind  = ":8001"
    stack = "old"
    port  = "http"
  }
}
`

// swarmCompose answers "GREETING TASK-HOSTNAME" once healthy.
const swarmCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo \"$$GREETING $$(hostname)\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
    environment:
      GREETING: ${GREETING:?set GREETING}
      API_KEY: ${API_KEY}
    expose:
      - "8080"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 10
    stop_grace_period: 1s
    volumes:
      - data:/data
volumes:
  data: {}
`

type swarmRun struct {
	bed     *testbed.Bed
	dir     string
	outputs []string
}

func (r *swarmRun) berth(t *testing.T, timeout time.Duration, want int, args ...string) berthResult {
	t.Helper()
	res := runBerth(t, timeout, append(args, "--no-color")...)
	r.outputs = append(r.outputs, res.Stdout, res.Stderr)
	res.wantCode(t, want)
	return res
}

func (r *swarmRun) leader(t *testing.T, argv ...string) string {
	t.Helper()
	return strings.TrimSpace(hostOut(t, r.bed.Host("h1"), argv...))
}

// running is, per node, how many tasks of STACK_web run there (stack web by default).
func (r *swarmRun) running(t *testing.T, stack ...string) map[string]int {
	t.Helper()
	name := "web"
	if len(stack) > 0 {
		name = stack[0]
	}
	out := r.leader(t, "docker", "service", "ps", name+"_web", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}")
	m := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == "Running" {
			m[f[0]]++
		}
	}
	return m
}

func (r *swarmRun) setEnv(t *testing.T, greeting string) {
	t.Helper()
	writeFile(t, filepath.Join(r.dir, "web.env"), "GREETING="+greeting+"\nAPI_KEY="+swarmCanary+"\n")
}

func TestSwarm(t *testing.T) {
	bed := startBed(t, "mixed-docker:3+registry")
	r := &swarmRun{bed: bed, dir: filepath.Join(t.TempDir(), "inv")}
	if err := bed.WriteInventory(r.dir); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"main.hcl":                swarmMain,
		"stacks/web/compose.yaml": strings.ReplaceAll(swarmCompose, "IMAGE", bed.Registry.Image),
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(r.dir, name)), 0o755)
		writeFile(t, filepath.Join(r.dir, name), content)
	}
	r.setEnv(t, "v1")
	ctx := context.Background()
	lb := fmt.Sprintf("http://%s:8000/", bed.Host("h1").Address)

	t.Run("apply forms the swarm and every node answers the 3-replica stack", func(t *testing.T) {
		start := time.Now()
		r.berth(t, 15*time.Minute, 0, "apply", r.dir, "--yes")
		t.Logf("first apply (swarm init, 2 joins, labels, docker stack deploy, HAProxy install): %s", time.Since(start).Round(100*time.Millisecond))
		nodes := r.leader(t, "docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
		if nodes != "h1 Ready Leader\nh2 Ready Reachable\nh3 Ready Reachable" {
			t.Errorf("nodes (three managers, h1 leading):\n%s", nodes)
		}
		for _, h := range bed.Hosts {
			labels := r.leader(t, "docker", "node", "inspect", "--format", "{{json .Spec.Labels}}", h.Name)
			want := fmt.Sprintf(`{"berth.stack.web":"true","release":"%s","role":"app"}`, h.Release)
			if labels != want {
				t.Errorf("node %s labels %s, want %s", h.Name, labels, want)
			}
			if got := httpGet(t, h.Address, 18080); !strings.HasPrefix(got, "v1 ") {
				t.Errorf("%s:18080 answers %q", h.Name, got)
			}
		}
		if got, err := get(ctx, lb); err != nil || !strings.HasPrefix(got, "v1 ") {
			t.Errorf("through HAProxy: %q, %v", got, err)
		}
	})

	t.Run("the stack file on the leader holds no env value", func(t *testing.T) {
		file := r.leader(t, "cat", "/var/lib/berth/swarm/web/docker-stack.yml")
		if strings.Contains(file, swarmCanary) || !strings.Contains(file, "${API_KEY}") {
			t.Errorf("stack file:\n%s", file)
		}
		if got := r.leader(t, "stat", "-c", "%a", "/var/lib/berth/swarm/web/.env"); got != "600" {
			t.Errorf(".env mode %s", got)
		}
	})

	t.Run("a second plan changes nothing and drift is clean", func(t *testing.T) {
		r.berth(t, 3*time.Minute, 0, "plan", r.dir)
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	t.Run("a drained node and a changed label are drift, and apply puts them back", func(t *testing.T) {
		r.leader(t, "docker", "node", "update", "--availability", "drain", "h3")
		r.leader(t, "docker", "node", "update", "--label-add", "role=db", "h2")
		out := r.berth(t, 3*time.Minute, 2, "drift", r.dir).Stdout
		for _, want := range []string{"swarm.node.h3", "availability drain, want active", "swarm.node.h2", "labels ~role=app"} {
			if !strings.Contains(out, want) {
				t.Errorf("drift lacks %q:\n%s", want, out)
			}
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		eventually(t, 60*time.Second, func() bool { return r.running(t)["h3"] == 1 }, "no task back on h3")
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	t.Run("the plan shows service-level changes: replicas and env", func(t *testing.T) {
		writeFile(t, filepath.Join(r.dir, "main.hcl"), strings.Replace(swarmMain, "default = 3", "default = 2", 1))
		out := r.berth(t, 3*time.Minute, 2, "plan", r.dir).Stdout
		if !strings.Contains(out, "service web: 3 replicas, want 2") {
			t.Errorf("plan:\n%s", out)
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		eventually(t, 60*time.Second, func() bool { n := r.running(t); return len(n) == 2 }, "not 2 tasks")
	})

	t.Run("a rolling update through HAProxy fails no request", func(t *testing.T) {
		r.setEnv(t, "v2")
		out := r.berth(t, 3*time.Minute, 2, "plan", r.dir).Stdout
		if !strings.Contains(out, "env changed (sensitive)") {
			t.Errorf("plan:\n%s", out)
		}
		loop := loopURLs(ctx, lb)
		start := time.Now()
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		took := time.Since(start)
		time.Sleep(3 * time.Second)
		sent, failed := loop.stop()
		t.Logf("rolling update (start-first): %d requests through HAProxy, %d failed, apply took %s", sent, len(failed), took.Round(100*time.Millisecond))
		for i, f := range failed {
			if i < 5 {
				t.Logf("  failed: %s", f)
			}
		}
		if len(failed) > 0 || sent < 30 {
			t.Errorf("%d of %d requests failed", len(failed), sent)
		}
		for i := 0; i < 6; i++ {
			if got, err := get(ctx, lb); err != nil || !strings.HasPrefix(got, "v2 ") {
				t.Errorf("after the update HAProxy answers %q, %v", got, err)
			}
		}
	})

	t.Run("berth rollback puts the previous env back through Swarm, and apply deploys the inventory's again", func(t *testing.T) {
		loop := loopURLs(ctx, lb)
		start := time.Now()
		out := r.berth(t, 5*time.Minute, 0, "rollback", "web", r.dir, "--yes").Stdout
		took := time.Since(start)
		time.Sleep(2 * time.Second)
		sent, failed := loop.stop()
		t.Logf("berth rollback (Swarm, start-first): %d requests through HAProxy, %d failed, rollback took %s", sent, len(failed), took.Round(100*time.Millisecond))
		if !strings.Contains(out, "service web back to its previous deploy") || !strings.Contains(out, "env (sensitive)") {
			t.Errorf("rollback output:\n%s", out)
		}
		// Swarm stops a replaced task without draining it from HAProxy first; the backend
		// retries a refused connection on another node, not one that hangs. Measured: 0, and
		// 1 of 222 at a load average of 53 (the client's 5 s timeout).
		if len(failed) > 1 {
			t.Errorf("%d of %d requests failed during the rollback: %v", len(failed), sent, failed[:min(len(failed), 5)])
		}
		for i := 0; i < 4; i++ {
			if got, err := get(ctx, lb); err != nil || !strings.HasPrefix(got, "v1 ") {
				t.Errorf("after the rollback HAProxy answers %q, %v", got, err)
			}
		}
		if out := r.berth(t, 3*time.Minute, 2, "plan", r.dir).Stdout; !strings.Contains(out, "env changed (sensitive)") {
			t.Errorf("after a rollback the plan does not deploy the inventory's version again:\n%s", out)
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		eventually(t, 30*time.Second, func() bool {
			got, err := get(ctx, lb)
			return err == nil && strings.HasPrefix(got, "v2 ")
		}, "apply after the rollback does not bring v2 back")
	})

	t.Run("a stopped host's replica runs elsewhere within 60 s, drift says the node is down, apply converges once it is back", func(t *testing.T) {
		var victim *testbed.Host
		for _, h := range bed.Hosts {
			if h.Name != "h1" && r.running(t)[h.Name] == 1 {
				victim = h
			}
		}
		if victim == nil {
			t.Fatalf("no task outside h1: %v", r.running(t))
		}
		loop := loopURLs(ctx, lb)
		start := time.Now()
		if err := victim.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		var moved time.Duration
		eventually(t, 60*time.Second, func() bool {
			n := r.running(t)
			if n[victim.Name] == 0 && len(n) == 2 {
				moved = time.Since(start)
				return true
			}
			return false
		}, "the stopped host's replica did not run elsewhere within 60 s")
		time.Sleep(5 * time.Second)
		sent, failed := loop.stop()
		t.Logf("failover: replica running elsewhere %s after %s stopped; %d requests through HAProxy, %d failed", moved.Round(100*time.Millisecond), victim.Name, sent, len(failed))
		for i, f := range failed {
			if i < 5 {
				t.Logf("  failed: %s", f)
			}
		}
		// HAProxy marks the dead node down after 3 failed checks (inter 2 s, each failing after
		// min(timeout connect, inter) = 2 s: the host's address is gone), so within about 14 s.
		// Until then a request routed there waits out the 5 s connect timeout and the client's
		// 5 s timeout ends it first. One request at a time: at most 14 s / 5 s + 1 = 4 fail.
		if len(failed) > 4 {
			t.Errorf("%d requests failed during the failover, the health checks allow at most 4", len(failed))
		}
		eventually(t, 60*time.Second, func() bool {
			res := runBerth(t, 3*time.Minute, "drift", r.dir, "--no-color", "--limit", "h1")
			r.outputs = append(r.outputs, res.Stdout, res.Stderr)
			return res.Code == 2 && strings.Contains(res.Stdout, "swarm.node."+victim.Name) && strings.Contains(res.Stdout, "is down")
		}, "drift does not report the node down")
		if err := victim.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := victim.WaitSSH(ctx, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		eventually(t, 90*time.Second, func() bool {
			return r.leader(t, "docker", "node", "inspect", "--format", "{{.Status.State}}", victim.Name) == "ready"
		}, "the node did not come back")
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	t.Run("berth export swarm writes a stack file plain docker stack deploy runs", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "export")
		r.berth(t, time.Minute, 0, "export", "swarm", out, r.dir)
		file, err := os.ReadFile(filepath.Join(out, "web", "docker-stack.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(file), swarmCanary) {
			t.Fatal("the exported stack file holds an env value")
		}
		env, err := os.ReadFile(filepath.Join(out, "web", ".env"))
		if err != nil {
			t.Fatal(err)
		}
		h1 := bed.Host("h1")
		r.leader(t, "docker", "stack", "rm", "web")
		eventually(t, 60*time.Second, func() bool {
			return r.leader(t, "sh", "-c", "docker ps -q --filter label=com.docker.stack.namespace=web | wc -l") == "0"
		}, "the stack did not stop")
		hostIn(t, h1, string(file), "sh", "-c", "mkdir -p /tmp/export && cat > /tmp/export/docker-stack.yml")
		hostIn(t, h1, string(env), "sh", "-c", "umask 077 && cat > /tmp/export/.env")
		r.leader(t, "sh", "-c", "cd /tmp/export && set -a && . ./.env && set +a && docker stack deploy -c docker-stack.yml web")
		// Swarm places the two tasks on any two nodes: ask through HAProxy, which follows them.
		eventually(t, 90*time.Second, func() bool {
			got, err := get(ctx, lb)
			return err == nil && strings.HasPrefix(got, "v2 ")
		}, "the exported stack does not answer through HAProxy")
		eventually(t, 90*time.Second, func() bool {
			return r.leader(t, "docker", "service", "ls", "--filter", "name=web_web", "--format", "{{.Replicas}}") == "2/2"
		}, "the exported stack does not run its 2 tasks")
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	oldLB := fmt.Sprintf("http://%s:8001/", bed.Host("h1").Address)
	main := filepath.Join(r.dir, "main.hcl")
	src, _ := os.ReadFile(main)
	withOld := string(src) + strings.ReplaceAll(swarmOld, "MODE", "static")

	t.Run("docs/swarm.md's runbook moves a static stack to Swarm: backups, the balancer follows, no request fails, the port is automatic and sticky", func(t *testing.T) {
		writeFile(t, main, withOld)
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		static := readSwarmLock(t, r.dir).Stacks["old"].Replicas[0]
		eventually(t, 30*time.Second, func() bool {
			got, err := get(ctx, oldLB)
			return err == nil && strings.HasPrefix(got, "v2 ")
		}, "the static stack old does not answer through HAProxy")
		runbook := docsRunbook(t, bed.Registry.Image)
		writeFile(t, main, strings.Replace(withOld, `mode     = "static"`, `mode     = "swarm"`, 1)+runbook)
		out := r.berth(t, 3*time.Minute, 2, "plan", r.dir).Stdout
		for _, want := range []string{"+ swarm.stack.old", "- stack.old", "stack old moves to Swarm"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		if !regexp.MustCompile(`old +swarm +h1,h2,h3 +http=2\d{4} +new`).MatchString(out) {
			t.Errorf("the plan's placement lacks old's Swarm port:\n%s", out)
		}
		loop := loopURLs(ctx, oldLB)
		start := time.Now()
		r.berth(t, 10*time.Minute, 0, "runbook", "run", "old-to-swarm", r.dir, "--yes")
		took := time.Since(start)
		time.Sleep(2 * time.Second)
		sent, failed := loop.stop()
		t.Logf("static -> swarm through the runbook: %d requests through HAProxy, %d failed, the runbook took %s", sent, len(failed), took.Round(100*time.Millisecond))
		if len(failed) > 0 {
			t.Errorf("%d of %d requests failed during the move: %v", len(failed), sent, failed[:min(len(failed), 5)])
		}
		if got := hostOut(t, bed.Host(static.Host), "sh", "-c", "ls /var/backups"); !strings.Contains(got, "old_data.tar") {
			t.Errorf("no backup of old's volume on %s: %q", static.Host, got)
		}
		if n := hostOut(t, bed.Host(static.Host), "sh", "-c", "docker ps -q --filter label=com.docker.compose.project=old | wc -l"); strings.TrimSpace(n) != "0" {
			t.Errorf("the static replica still runs on %s", static.Host)
		}
		if got := r.leader(t, "docker", "service", "ls", "--filter", "label=com.docker.stack.namespace=old", "--format", "{{.Replicas}}"); got != "1/1" {
			t.Errorf("swarm old: %q", got)
		}
		lock := readSwarmLock(t, r.dir).Stacks["old"]
		port := 0
		if lock.Swarm != nil {
			port = lock.Swarm.Ports["http"]
		}
		if port < 20000 || port > 29999 || port == static.Ports["http"] || len(lock.Replicas) != 0 {
			t.Fatalf("lock for old: %+v (the static replica had %v)", lock, static.Ports)
		}
		t.Logf("old's Swarm port: %d (its static replica's was %d)", port, static.Ports["http"])
		for _, h := range bed.Hosts {
			if n := r.running(t, "old")[h.Name]; n == 1 {
				if got := httpGet(t, h.Address, port); !strings.HasPrefix(got, "v2 ") {
					t.Errorf("%s:%d answers %q", h.Name, port, got)
				}
			}
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		if again := readSwarmLock(t, r.dir).Stacks["old"].Swarm; again == nil || again.Ports["http"] != port {
			t.Errorf("a second apply moved old's Swarm port: %+v", again)
		}
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	t.Run("back to static is planned: the Swarm stack is removed last, after the balancer follows the static replica, no request fails", func(t *testing.T) {
		swarmed := readSwarmLock(t, r.dir).Stacks["old"].Swarm
		writeFile(t, main, withOld)
		out := r.berth(t, 3*time.Minute, 2, "plan", r.dir).Stdout
		for _, want := range []string{"- swarm.stack.old", "stack old is static now", "named volumes stay on each node", "+ stack.old"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %q:\n%s", want, out)
			}
		}
		loop := loopURLs(ctx, oldLB)
		start := time.Now()
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		took := time.Since(start)
		time.Sleep(2 * time.Second)
		sent, failed := loop.stop()
		t.Logf("swarm -> static: %d requests through HAProxy, %d failed, apply took %s", sent, len(failed), took.Round(100*time.Millisecond))
		if len(failed) > 0 {
			t.Errorf("%d of %d requests failed during the move back: %v", len(failed), sent, failed[:min(len(failed), 5)])
		}
		if got := r.leader(t, "docker", "stack", "ls", "--format", "{{.Name}}"); strings.Contains(got, "old") {
			t.Errorf("docker stack ls still lists old:\n%s", got)
		}
		lock := readSwarmLock(t, r.dir).Stacks["old"]
		if lock.Swarm != nil || len(lock.Replicas) != 1 || lock.Replicas[0].Ports["http"] == swarmed.Ports["http"] {
			t.Errorf("lock for old: %+v (Swarm had %v)", lock, swarmed.Ports)
		}
		if got, err := get(ctx, oldLB); err != nil || !strings.HasPrefix(got, "v2 ") {
			t.Errorf("through HAProxy: %q, %v", got, err)
		}
		r.berth(t, 3*time.Minute, 0, "plan", r.dir)
	})

	t.Run("with the first manager down, drift reports it through another manager and apply deploys through it", func(t *testing.T) {
		h1 := bed.Host("h1")
		if err := h1.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		restarted := false
		defer func() {
			if !restarted {
				h1.Start(ctx)
			}
		}()
		others := []string{"--limit", "h2,h3"}
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
			last := runBerth(t, 3*time.Minute, append([]string{"drift", r.dir, "--no-color"}, others...)...)
			r.outputs = append(r.outputs, last.Stdout, last.Stderr)
			if last.Code == 2 && strings.Contains(last.Stdout, "swarm.node.h1") && strings.Contains(last.Stdout, "is down") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("drift without h1 does not report h1 down: exit %d\n%s\n%s", last.Code, last.Stdout, last.Stderr)
			}
		}
		// A change through h2: old, static on h1 (down), moves to Swarm. A new Swarm stack needs
		// no spare node (an update of web would: start-first in host mode, one task per node,
		// two nodes left, and Swarm rolls it back). h1's static replica and its balancer wait.
		writeFile(t, main, strings.Replace(withOld, `mode     = "static"`, `mode     = "swarm"`, 1))
		start := time.Now()
		// The down node fails the apply (exit 1) after every other change, as documented.
		res := r.berth(t, 5*time.Minute, 1, append([]string{"apply", r.dir, "--yes"}, others...)...)
		t.Logf("apply through h2 with h1 down: %s\n%s", time.Since(start).Round(100*time.Millisecond), res.Stdout)
		if !strings.Contains(res.Stdout, "+ swarm.stack.old") || !strings.Contains(res.Stdout, "swarm.node.h1") {
			t.Errorf("apply output:\n%s\n%s", res.Stdout, res.Stderr)
		}
		h2 := bed.Host("h2")
		if got := strings.TrimSpace(hostOut(t, h2, "docker", "service", "ls", "--filter", "label=com.docker.stack.namespace=old", "--format", "{{.Replicas}}")); !strings.HasPrefix(got, "1/1") {
			t.Errorf("old on the swarm after the apply through h2: %q", got)
		}
		sw := readSwarmLock(t, r.dir).Stacks["old"].Swarm
		if sw == nil {
			t.Fatal("the placement file has no Swarm entry for old")
		}
		eventually(t, 30*time.Second, func() bool {
			for _, h := range []string{"h2", "h3"} {
				if got, err := get(ctx, fmt.Sprintf("http://%s:%d/", bed.Host(h).Address, sw.Ports["http"])); err == nil && strings.HasPrefix(got, "v2 ") {
					return true
				}
			}
			return false
		}, "old's task answers on neither h2 nor h3")
		restarted = true
		if err := h1.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h1.WaitSSH(ctx, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		eventually(t, 90*time.Second, func() bool {
			return strings.TrimSpace(hostOut(t, h2, "docker", "node", "inspect", "--format", "{{.Status.State}}", "h1")) == "ready"
		}, "h1's node did not come back")
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes")
		r.berth(t, 3*time.Minute, 0, "drift", r.dir)
	})

	t.Run("the canary secret appears in no output", func(t *testing.T) {
		for i, o := range r.outputs {
			if strings.Contains(o, swarmCanary) {
				t.Fatalf("output %d contains the canary:\n%s", i, o)
			}
		}
	})
}

func readSwarmLock(t *testing.T, dir string) schedule.PlacementFile {
	t.Helper()
	lf, err := schedule.ReadPlacementFile(filepath.Join(dir, schedule.PlacementFileName))
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

// docsRunbook is the runbook docs/swarm.md gives for moving a stack to Swarm, as written there,
// for stack old on this bed: shop -> old, app-1 -> h1, and the backup image the bed's.
func docsRunbook(t *testing.T, image string) string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", "docs", "swarm.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(md)
	at := strings.Index(doc, `runbook "shop-to-swarm"`)
	if at < 0 {
		t.Fatal(`docs/swarm.md has no runbook "shop-to-swarm"`)
	}
	end := strings.Index(doc[at:], "\n```")
	rb := doc[at : at+end]
	if !strings.Contains(rb, swarmDocsImage) {
		t.Fatalf("the docs' runbook does not use %s:\n%s", swarmDocsImage, rb)
	}
	rb = strings.NewReplacer("shop", "old", `"app-1"`, `"h1"`, swarmDocsImage, image).Replace(rb)
	return "\n" + rb + "\n"
}

// swarmDocsImage is the image docs/swarm.md's runbook backs volumes up with: the bed's.
const swarmDocsImage = "registry.test:5000/th-busybox:1"
