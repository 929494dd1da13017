package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/provisioner/conn"
)

// Placement and the balancer on real hosts, through the real CLI: three app hosts and one
// balancer host, two stacks of two replicas each behind HAProxy. Every check reads state from
// the hosts, the lock file or HTTP, never the CLI's output.

// placementStacks are the stacks of the scenario and the balancer port fronting each.
var placementStacks = map[string]int{"hello": 8000, "world": 8001}

func TestPlacementAndBalancer(t *testing.T) {
	bed := startBed(t, "bookworm-docker:4+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	p := newPlacementRun(t, bed)
	lb := bed.Host("h4")

	t.Run("first apply places every replica and the balancer reaches each one", func(t *testing.T) {
		p.berth(ctx, t, 0, "apply", p.dir, "--yes")
		lock := p.lock(t)
		for stack, port := range placementStacks {
			want := p.replicaAnswers(ctx, t, lock, stack)
			if len(want) != 2 {
				t.Fatalf("stack %s: %d distinct replicas answer directly, want 2: %v", stack, len(want), want)
			}
			p.reachesAll(ctx, t, lb.Address, port, want)
		}
		if state := p.exec(ctx, t, lb, "systemctl", "is-active", "haproxy"); state != "active" {
			t.Fatalf("haproxy is %s", state)
		}
	})
	t.Run("second apply plans no change", func(t *testing.T) {
		p.berth(ctx, t, 0, "plan", p.dir)
	})
	t.Run("draining a host moves its replicas, the balancer follows and no request fails", func(t *testing.T) {
		before := p.lock(t)
		drained := busiestHost(before)
		pid := p.exec(ctx, t, lb, "systemctl", "show", "--property=MainPID", "--value", "haproxy")
		downBefore := p.exec(ctx, t, lb, "sh", "-c", serversDown)
		plan := p.berth(ctx, t, 2, "plan", p.dir, "-var", "drained="+drained)
		t.Logf("the plan of the move, for the record:\n%s", plan)
		loop := startRequestLoop(ctx, lb.Address)
		p.berth(ctx, t, 0, "apply", p.dir, "--yes", "-var", "drained="+drained)
		sent, failed := loop.stop()
		t.Logf("drained %s; %d requests through the balancer during the apply, %d failed", drained, sent, len(failed))
		if len(failed) > 0 {
			t.Errorf("%d of %d requests failed during the move, first: %s", len(failed), sent, failed[0])
		}
		if sent < 10 {
			t.Errorf("only %d requests ran during the apply: the loop proves nothing", sent)
		}
		after := p.lock(t)
		for stack, port := range placementStacks {
			for _, r := range after.Stacks[stack].Replicas {
				if r.Host == drained {
					t.Errorf("stack %s replica %d still placed on drained %s", stack, r.Index, drained)
				}
			}
			p.reachesAll(ctx, t, lb.Address, port, p.replicaAnswers(ctx, t, after, stack))
		}
		if n := p.exec(ctx, t, bed.Host(drained), "sh", "-c", "docker ps -q | wc -l"); n != "0" {
			t.Errorf("%s still runs %s containers", drained, n)
		}
		if now := p.exec(ctx, t, lb, "systemctl", "show", "--property=MainPID", "--value", "haproxy"); now != pid {
			t.Errorf("haproxy's main process changed from %s to %s: restarted instead of reloaded", pid, now)
		}
		// A server that HAProxy saw go down was still in its configuration when its replica
		// stopped: the balancer did not follow before the teardown.
		if down := p.exec(ctx, t, lb, "sh", "-c", serversDown); down != downBefore {
			t.Errorf("HAProxy saw servers go down during the move:\n%s", strings.TrimPrefix(down, downBefore))
		}
		p.drained = drained
	})
	t.Run("second apply after the move plans no change", func(t *testing.T) {
		p.berth(ctx, t, 0, "plan", p.dir, "-var", "drained="+p.drained)
	})
	t.Run("an apply limited to the old host of a move holds it; with the new host and the balancer it completes; the lock file always names hosts that answer", func(t *testing.T) {
		before := p.lock(t)
		leaving := busiestHost(before) // p.drained comes back into service, this one drains
		drain := []string{"-var", "drained=" + leaving}
		answers := func(when string) {
			t.Helper()
			for stack := range placementStacks {
				if got := len(p.replicaAnswers(ctx, t, p.lock(t), stack)); got != 2 {
					t.Errorf("%s: stack %s: %d replicas in the lock file answer, want 2", when, stack, got)
				}
			}
		}
		out := p.berth(ctx, t, 0, append([]string{"plan", p.dir, "-l", leaving}, drain...)...)
		if !strings.Contains(out, "held on "+leaving) || !strings.Contains(out, "is not in this run") {
			t.Errorf("the limited plan does not say the move is held and why:\n%s", out)
		}
		t.Logf("the limited plan, for the record:\n%s", out)
		p.berth(ctx, t, 0, append([]string{"apply", p.dir, "--yes", "-l", leaving}, drain...)...)
		if after := p.lock(t); !reflect.DeepEqual(after, before) {
			t.Errorf("a limited apply that carried nothing out rewrote the lock file:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := p.exec(ctx, t, bed.Host(leaving), "sh", "-c", "docker ps -q | wc -l"); n == "0" {
			t.Errorf("%s stopped its replicas although their new places were outside the run", leaving)
		}
		answers("after the limited apply")
		// Where the held replicas should go, from the plan itself.
		var targets []string
		for _, line := range strings.Split(p.berth(ctx, t, 0, append([]string{"plan", p.dir, "-l", leaving}, drain...)...), "\n") {
			if i := strings.Index(line, "should move to "); i >= 0 {
				if to := strings.Fields(line[i+len("should move to "):])[0]; !slices.Contains(targets, to) {
					targets = append(targets, to)
				}
			}
		}
		if len(targets) == 0 {
			t.Fatal("the plan names no host the held replicas should move to")
		}
		limit := strings.Join(append(append([]string{leaving}, targets...), lb.Name), ",")
		out = p.berth(ctx, t, 2, append([]string{"plan", p.dir, "-l", limit}, drain...)...)
		if !strings.Contains(out, "moves to") {
			t.Errorf("the removal from %s does not say the replica moves:\n%s", leaving, out)
		}
		loop := startRequestLoop(ctx, lb.Address)
		p.berth(ctx, t, 0, append([]string{"apply", p.dir, "--yes", "-l", limit}, drain...)...)
		sent, failed := loop.stop()
		t.Logf("apply -l %s: %d requests through the balancer, %d failed", limit, sent, len(failed))
		if len(failed) > 0 {
			t.Errorf("%d of %d requests failed during the move, first: %s", len(failed), sent, failed[0])
		}
		for _, sp := range p.lock(t).Stacks {
			for _, r := range sp.Replicas {
				if r.Host == leaving {
					t.Errorf("the lock file still places replica %d on %s after the move", r.Index, leaving)
				}
			}
		}
		if n := p.exec(ctx, t, bed.Host(leaving), "sh", "-c", "docker ps -q | wc -l"); n != "0" {
			t.Errorf("%s still runs %s containers after the move", leaving, n)
		}
		answers("after the move")
		p.berth(ctx, t, 0, append([]string{"plan", p.dir}, drain...)...)
		p.drained = leaving
	})
	t.Run("the lock file lists every placement and port, as the balancer has them", func(t *testing.T) {
		lock := p.lock(t)
		cfg := p.exec(ctx, t, lb, "cat", "/etc/haproxy/haproxy.cfg")
		for stack := range placementStacks {
			rs := lock.Stacks[stack].Replicas
			if len(rs) != 2 || rs[0].Host == rs[1].Host {
				t.Fatalf("stack %s: replicas %+v, want 2 on distinct hosts", stack, rs)
			}
			for _, r := range rs {
				port := r.Ports["http"]
				if port < 20000 || port > 29999 {
					t.Errorf("stack %s replica %d: port %d outside the range", stack, r.Index, port)
				}
				line := fmt.Sprintf("server %s-%d %s:%d check", stack, r.Index, bed.Host(r.Host).Address, port)
				if !strings.Contains(cfg, line) {
					t.Errorf("haproxy.cfg lacks %q:\n%s", line, cfg)
				}
			}
		}
	})
	t.Run("a configuration HAProxy rejects leaves the live one and the running HAProxy", func(t *testing.T) {
		live := p.exec(ctx, t, lb, "cat", balancer.ConfigPath)
		pid := p.exec(ctx, t, lb, "systemctl", "show", "--property=MainPID", "--value", "haproxy")
		c, err := conn.Dial(ctx, &conn.Config{Name: lb.Name, Address: lb.Address, Port: 22, User: lb.User,
			IdentityFiles: []string{lb.KeyFile}, KnownHosts: []string{lb.KnownHosts}, Become: true})
		if err != nil {
			t.Fatalf("dial %s: %v", lb.Name, err)
		}
		defer c.Close()
		r := balancer.NewConfig([]byte(live + "\nbackend broken\n    bogus-keyword 1\n"))
		obs, err := c.Observe(ctx, r.Probes())
		if err != nil {
			t.Fatal(err)
		}
		cs := r.Diff(obs)
		if len(cs) != 1 {
			t.Fatalf("plan: %+v", cs)
		}
		err = r.Apply(ctx, c, cs[0])
		if err == nil || !strings.Contains(err.Error(), "unknown keyword 'bogus-keyword'") {
			t.Fatalf("want HAProxy's refusal, got %v", err)
		}
		t.Logf("refused: %v", err)
		if now := p.exec(ctx, t, lb, "cat", balancer.ConfigPath); now != live {
			t.Errorf("the live configuration changed")
		}
		if now := p.exec(ctx, t, lb, "systemctl", "show", "--property=MainPID", "--value", "haproxy"); now != pid {
			t.Errorf("haproxy's main process changed from %s to %s", pid, now)
		}
		if left := p.exec(ctx, t, lb, "sh", "-c", "ls /etc/haproxy"); strings.Contains(left, "berth-new") {
			t.Errorf("candidate left behind: %s", left)
		}
	})
}

// serversDown lists the servers HAProxy's health checks marked down, from its journal.
const serversDown = "journalctl -u haproxy --no-pager -o cat | grep ' is DOWN' || true"

// placementRun is the scenario's inventory directory and berth binary.
type placementRun struct {
	bin, dir string
	bed      *testbed.Bed
	drained  string
}

func newPlacementRun(t *testing.T, bed *testbed.Bed) *placementRun {
	t.Helper()
	tmp := t.TempDir()
	p := &placementRun{bin: berthBinary(t), dir: filepath.Join(tmp, "inv"), bed: bed}
	if err := bed.WriteInventory(p.dir); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"hosts.hcl": placementHosts(bed), "main.hcl": placementMain}
	for stack := range placementStacks {
		files["stacks/"+stack+"/compose.yaml"] = strings.NewReplacer("IMAGE", bed.Registry.Image, "STACK", stack).Replace(placementCompose)
	}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// placementHosts replaces the bed's hosts.hcl: h4 is the balancer, and the app host named by
// the variable "drained" is drained.
func placementHosts(bed *testbed.Bed) string {
	var s strings.Builder
	fmt.Fprintf(&s, "variable \"drained\" {\n  type    = string\n  default = \"\"\n}\n\n")
	fmt.Fprintf(&s, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n  port_range = \"20000-29999\"\n}\n", testbed.TestUser, bed.KeyFile)
	for _, h := range bed.Hosts {
		role := "app"
		if h.Name == "h4" {
			role = "lb"
		}
		fmt.Fprintf(&s, "\nhost %q {\n  address = %q\n  labels  = { role = %q }\n  drain   = var.drained == %q\n}\n", h.Name, h.Address, role, h.Name)
	}
	return s.String()
}

const placementMain = `stack "hello" {
  compose  = "stacks/hello"
  replicas = 2
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "60s"
  }
}

stack "world" {
  compose  = "stacks/world"
  replicas = 2
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "60s"
  }
}

balancer "edge" {
  hosts = "role=lb"
  frontend "hello" {
    bind  = ":8000"
    stack = "hello"
    port  = "http"
  }
  frontend "world" {
    bind  = ":8001"
    stack = "world"
    port  = "http"
  }
}
`

// placementCompose answers "STACK CONTAINER-ID": every replica is told apart by its answer.
const placementCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo \"STACK $$(hostname)\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
    expose:
      - "8080"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 20
    stop_grace_period: 1s
`

// berth runs the CLI and fails the test unless it exits with want.
func (p *placementRun) berth(ctx context.Context, t *testing.T, want int, args ...string) string {
	t.Helper()
	timeout := 10 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	r := runBerth(t, timeout, append(args, "--no-color")...)
	r.wantCode(t, want)
	return r.Stdout + r.Stderr
}

// lockFile is berth.lock.json as a user reads it.
type lockFile struct {
	Version int `json:"version"`
	Stacks  map[string]struct {
		Replicas []struct {
			Index int            `json:"index"`
			Host  string         `json:"host"`
			Ports map[string]int `json:"ports"`
		} `json:"replicas"`
	} `json:"stacks"`
}

func (p *placementRun) lock(t *testing.T) lockFile {
	t.Helper()
	l := readLock(t, p.dir)
	for stack := range placementStacks {
		if len(l.Stacks[stack].Replicas) != 2 {
			t.Fatalf("berth.lock.json: stack %s has %d replicas, want 2: %+v", stack, len(l.Stacks[stack].Replicas), l.Stacks)
		}
	}
	return l
}

// busiestHost is the app host running the most replicas, ties by name.
func busiestHost(l lockFile) string {
	n := map[string]int{}
	for _, s := range l.Stacks {
		for _, r := range s.Replicas {
			n[r.Host]++
		}
	}
	var hosts []string
	for h := range n {
		hosts = append(hosts, h)
	}
	sort.Slice(hosts, func(i, j int) bool {
		return n[hosts[i]] > n[hosts[j]] || n[hosts[i]] == n[hosts[j]] && hosts[i] < hosts[j]
	})
	return hosts[0]
}

// replicaAnswers asks every replica of stack directly, at its host and published port.
func (p *placementRun) replicaAnswers(ctx context.Context, t *testing.T, l lockFile, stack string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range l.Stacks[stack].Replicas {
		body, err := get(ctx, fmt.Sprintf("http://%s:%d/", p.bed.Host(r.Host).Address, r.Ports["http"]))
		if err != nil {
			t.Fatalf("stack %s replica %d on %s: %v", stack, r.Index, r.Host, err)
		}
		out[body] = true
	}
	return out
}

// reachesAll asks the balancer until every answer of want came back (health checks may need
// a few seconds to mark a new server up), bounded by a count of requests.
func (p *placementRun) reachesAll(ctx context.Context, t *testing.T, lb string, port int, want map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	url := fmt.Sprintf("http://%s:%d/", lb, port)
	for i := 0; i < 200 && len(seen) < len(want); i++ {
		body, err := get(ctx, url)
		switch {
		case err != nil:
			time.Sleep(250 * time.Millisecond)
		case !want[body]:
			t.Fatalf("%s answered %q, which is no current replica (%v)", url, body, want)
		default:
			seen[body] = true
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%s reached %v of %v", url, seen, want)
	}
}

var placementClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches url with a fresh connection and returns the body without its newline.
func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := placementClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %q", url, resp.Status, b)
	}
	return strings.TrimSpace(string(b)), nil
}

// requestLoop sends about 10 requests a second through the balancer, alternating frontends,
// until stopped, at most 6000 requests (ten minutes' worth) and only to the bed's address.
type requestLoop struct {
	stopc  chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	sent   int
	failed []string
}

func startRequestLoop(ctx context.Context, lb string) *requestLoop {
	return loopURLs(ctx, fmt.Sprintf("http://%s:%d/", lb, placementStacks["hello"]), fmt.Sprintf("http://%s:%d/", lb, placementStacks["world"]))
}

// loopURLs sends about 10 requests a second, one at a time, to urls in turn.
func loopURLs(ctx context.Context, urls ...string) *requestLoop {
	l := &requestLoop{stopc: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 6000; i++ {
			select {
			case <-l.stopc:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			_, err := get(ctx, urls[i%len(urls)])
			l.mu.Lock()
			l.sent++
			if err != nil {
				l.failed = append(l.failed, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
			}
			l.mu.Unlock()
		}
	}()
	return l
}

// stop ends the loop and returns how many requests it sent and the failures.
func (l *requestLoop) stop() (int, []string) {
	close(l.stopc)
	l.wg.Wait()
	return l.sent, l.failed
}

// exec runs argv as root on a bed host and returns its trimmed output.
func (p *placementRun) exec(ctx context.Context, t *testing.T, h *testbed.Host, argv ...string) string {
	t.Helper()
	out, err := h.Exec(ctx, argv...)
	if err != nil {
		t.Fatalf("%s: %v: %v", h.Name, argv, err)
	}
	return strings.TrimSpace(out)
}
