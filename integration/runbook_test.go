package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
	"github.com/berth-dev/berth/modules"
)

// Runbooks on real hosts, through the real CLI: two app hosts (h1, h2) run a stack behind an
// HAProxy on h3. The runbook deploys the stack, installs the balancer, waits at a gate the
// test controls, then works on h2 (step 5), which the test cuts off the network first. The
// run must stop there with a journal saying steps 1-4 done and 5 failed; once h2 is back, the
// same command resumes at step 5 and finishes (a confirm gate, a service reload, a balancer
// drain of h1's replica) while requests through the balancer keep being answered.

const runbookHCL = `
stack "hello" {
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

balancer "edge" {
  hosts = "role=lb"
  frontend "hello" {
    bind  = ":8000"
    stack = "hello"
    port  = "http"
  }
}

runbook "move" {
  step "deploy" {
    kind    = "apply"
    targets = ["stack.hello"]
    timeout = "10m"
  }
  step "healthy" {
    kind     = "wait"
    hosts    = "role=app"
    command  = ["sh", "-c", "docker ps -q --filter label=com.docker.compose.project=hello --filter health=healthy | grep -q ."]
    interval = "1s"
    timeout  = "3m"
  }
  step "balance" {
    kind    = "apply"
    hosts   = "role=lb"
    timeout = "10m"
  }
  step "gate" {
    kind     = "wait"
    hosts    = "h1"
    command  = ["test", "-e", "/tmp/runbook-go"]
    interval = "1s"
    timeout  = "10m"
  }
  step "mark-h2" {
    kind    = "exec"
    hosts   = "h2"
    command = ["sh", "-c", "echo marked >> /tmp/runbook-marker"]
    timeout = "20s"
  }
  step "ok" {
    kind    = "confirm"
    message = "h2 is marked. Continue?"
  }
  step "reload-lb" {
    kind    = "service"
    hosts   = "role=lb"
    service = "haproxy"
    action  = "reload"
  }
  step "drain-h1" {
    kind     = "balancer"
    balancer = "edge"
    stack    = "hello"
    hosts    = "h1"
    action   = "drain"
    undo {
      kind     = "balancer"
      balancer = "edge"
      stack    = "hello"
      action   = "ready"
    }
  }
  step "through-lb" {
    kind     = "wait"
    hosts    = "h1"
    url      = "http://LB:8000/"
    status   = "200"
    interval = "1s"
    timeout  = "1m"
  }
}
`

func TestRunbook(t *testing.T) {
	bed := startBed(t, "bookworm-docker:3+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir := writeRunbookInventory(t, bed)
	lb, h1, h2 := bed.Host("h3"), bed.Host("h1"), bed.Host("h2")
	journals := filepath.Join(dir, ".berth", "runs", "move")

	t.Run("--dry-run changes nothing on any host", func(t *testing.T) {
		before := bedState(t, bed)
		r := runBerth(t, 10*time.Minute, "runbook", "run", "move", dir, "--dry-run", "--no-color")
		r.wantCode(t, 0)
		for _, want := range []string{"would run on h2: sh -c 'echo marked >> /tmp/runbook-marker'", "would run on h3: systemctl reload -- haproxy", "+ stack.hello"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("dry run output lacks %q:\n%s", want, r.Stdout)
			}
		}
		if after := bedState(t, bed); after != before {
			t.Errorf("hosts changed during a dry run:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if _, err := os.Stat(journals); !os.IsNotExist(err) {
			t.Errorf("a dry run wrote a journal: %v", err)
		}
	})

	t.Run("a network cut at step 5 stops the run: steps 1-4 done, 5 failed", func(t *testing.T) {
		r := runbookWithFault(ctx, t, dir, "] gate (", func() {
			if err := h2.Disconnect(ctx); err != nil {
				t.Errorf("disconnect h2: %v", err)
			}
			hostOut(t, h1, "touch", "/tmp/runbook-go")
		})
		if r.Code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		states := journalStates(t, journals)
		want := "deploy=done healthy=done balance=done gate=done mark-h2=failed ok=pending reload-lb=pending drain-h1=pending through-lb=pending"
		if states != want {
			t.Fatalf("journal states:\n got %s\nwant %s\n%s", states, want, r.Stdout)
		}
		for _, j := range readJournal(t, journals) {
			if j.Type == "step.failed" {
				t.Logf("step %s failed after %.1fs: %s", j.Step, j.Seconds, j.Error)
			}
		}
		if out, _ := h2.Exec(ctx, "cat", "/tmp/runbook-marker"); out != "" {
			t.Errorf("h2 ran step 5 although it was cut off: %q", out)
		}
	})

	t.Run("after the host is back, run resumes at 5 and completes while the balancer answers", func(t *testing.T) {
		if err := h2.Reconnect(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h2.WaitSSH(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		bodies := replicaBodies(ctx, t, dir, bed)
		lbURL := fmt.Sprintf("http://%s:8000/", lb.Address)
		eventually(t, time.Minute, func() bool { return seenThrough(ctx, lbURL, bodies["h2"], 20) }, "the balancer never sent to h2 again")
		// The failed step's request, queued while h2 was cut off, must not reach it now that
		// it is back: berth aborted that connection (before, the kernel delivered it late and
		// step 5 ran twice).
		if out, _ := h2.Exec(ctx, "cat", "/tmp/runbook-marker"); out != "" {
			t.Errorf("h2 ran step 5 once back on the network, although the step had failed: %q", out)
		}
		loop := startLoop(ctx, lbURL, "")
		r := runBerth(t, 15*time.Minute, "runbook", "run", "move", dir, "--yes", "--no-color")
		sent, failed := loop.stop()
		r.wantCode(t, 0)
		t.Logf("%d requests through the balancer during the resumed run, %d failed", sent, len(failed))
		if len(failed) > 0 {
			t.Errorf("requests failed during the run, first: %s", failed[0])
		}
		if sent < 5 {
			t.Errorf("only %d requests during the run: the loop proves nothing", sent)
		}
		if strings.Contains(r.Stdout, "] deploy (") || !strings.Contains(r.Stdout, "[5/9] mark-h2") {
			t.Errorf("resume did not start at step 5:\n%s", r.Stdout)
		}
		if got := journalStates(t, journals); strings.Count(got, "=done") != 9 {
			t.Errorf("journal states after resume: %s", got)
		}
		if out := strings.TrimSpace(hostOut(t, h2, "cat", "/tmp/runbook-marker")); out != "marked" {
			t.Errorf("h2 marker = %q, want one line", out)
		}
		for i := 0; i < 20; i++ {
			if body, err := get(ctx, lbURL); err != nil || body != bodies["h2"] {
				t.Fatalf("with h1 drained the balancer answered %q, %v; want h2's %q", body, err, bodies["h2"])
			}
		}
		checkJournal(t, journals)
		summary := hostOut(t, h1, "sh", "-c", "cat /var/lib/berth/runs/move/*.json")
		if !strings.Contains(summary, `"state": "finished"`) {
			t.Errorf("h1's copy of the run summary:\n%s", summary)
		}
	})

	t.Run("status shows every step done", func(t *testing.T) {
		r := runBerth(t, time.Minute, "runbook", "status", "move", dir)
		r.wantCode(t, 0)
		if !strings.Contains(r.Stdout, ": finished") || strings.Count(r.Stdout, " done at ") != 9 {
			t.Errorf("status:\n%s", r.Stdout)
		}
	})

	t.Run("undo readies h1's replica again", func(t *testing.T) {
		runBerth(t, 5*time.Minute, "runbook", "undo", "move", dir, "--yes", "--no-color").wantCode(t, 0)
		bodies := replicaBodies(ctx, t, dir, bed)
		eventually(t, time.Minute, func() bool {
			return seenThrough(ctx, fmt.Sprintf("http://%s:8000/", lb.Address), bodies["h1"], 20)
		}, "after undo the balancer never sent to h1")
	})
}

func writeRunbookInventory(t *testing.T, bed *testbed.Bed) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inv")
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n  port_range = \"20000-29999\"\n}\n", testbed.TestUser, bed.KeyFile)
	for _, h := range bed.Hosts {
		role := map[bool]string{true: "lb", false: "app"}[h.Name == "h3"]
		fmt.Fprintf(&hosts, "\nhost %q {\n  address = %q\n  labels  = { role = %q }\n}\n", h.Name, h.Address, role)
	}
	writeFile(t, filepath.Join(dir, "hosts.hcl"), hosts.String())
	writeFile(t, filepath.Join(dir, "main.hcl"), strings.ReplaceAll(runbookHCL, "LB", bed.Host("h3").Address))
	os.MkdirAll(filepath.Join(dir, "stacks", "hello"), 0o755)
	writeFile(t, filepath.Join(dir, "stacks", "hello", "compose.yaml"), strings.NewReplacer("IMAGE", bed.Registry.Image, "STACK", "hello").Replace(placementCompose))
	return dir
}

// bedState is what a dry run must leave alone on every host (not all of /tmp: each SSH
// login gets a logind directory there).
func bedState(t *testing.T, bed *testbed.Bed) string {
	var b strings.Builder
	for _, h := range bed.Hosts {
		b.WriteString(h.Name + ":\n")
		b.WriteString(hostOut(t, h, "sh", "-c", "ls -laR /var/lib/berth /srv/berth /etc/haproxy 2>&1; ls -la /tmp/runbook-* 2>&1; docker ps -a --format '{{.ID}} {{.State}}'; dpkg-query -W haproxy 2>&1; true"))
	}
	return b.String()
}

// runbookWithFault runs `berth runbook run move --yes` and calls fault once a stdout line
// contains marker.
func runbookWithFault(ctx context.Context, t *testing.T, dir, marker string, fault func()) berthResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, berthBinary(t), "runbook", "run", "move", dir, "--yes", "--no-color")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=dumb"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	fired := false
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		if !fired && strings.Contains(sc.Text(), marker) {
			fired = true
			fault()
		}
	}
	err = cmd.Wait()
	r := berthResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	}
	if !fired {
		t.Fatalf("%q never came:\n%s\n%s", marker, r.Stdout, r.Stderr)
	}
	return r
}

type journalLine struct {
	Type    string  `json:"type"`
	Step    string  `json:"step"`
	Who     string  `json:"who"`
	Error   string  `json:"error"`
	Seconds float64 `json:"seconds"`
}

func readJournal(t *testing.T, dir string) []journalLine {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("%d journals in %s, want 1 (a resume continues the same run)", len(files), dir)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var out []journalLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var j journalLine
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		out = append(out, j)
	}
	return out
}

// journalStates reads the journal as an auditor would: the last word on each step.
func journalStates(t *testing.T, dir string) string {
	order := []string{"deploy", "healthy", "balance", "gate", "mark-h2", "ok", "reload-lb", "drain-h1", "through-lb"}
	state := map[string]string{}
	for _, j := range readJournal(t, dir) {
		switch j.Type {
		case "step.finished":
			state[j.Step] = "done"
		case "step.failed":
			state[j.Step] = "failed"
		}
	}
	var s []string
	for _, id := range order {
		st := state[id]
		if st == "" {
			st = "pending"
		}
		s = append(s, id+"="+st)
	}
	return strings.Join(s, " ")
}

// checkJournal: who started and resumed the run, and the confirmation given.
func checkJournal(t *testing.T, dir string) {
	t.Helper()
	var who []string
	confirmed := false
	for _, j := range readJournal(t, dir) {
		switch j.Type {
		case "run.started", "run.resumed":
			who = append(who, j.Who)
		case "confirmed":
			confirmed = j.Step == "ok" && strings.HasSuffix(j.Who, "(--yes)")
		}
	}
	if len(who) != 2 || who[0] == "" || !strings.Contains(who[0], "@") {
		t.Errorf("journal names who started and resumed the run: %q", who)
	}
	if !confirmed {
		t.Errorf("journal has no confirmation of step ok")
	}
}

// replicaBodies maps an app host to what its replica of hello answers, asked directly.
func replicaBodies(ctx context.Context, t *testing.T, dir string, bed *testbed.Bed) map[string]string {
	t.Helper()
	l := readLock(t, dir)
	out := map[string]string{}
	for _, r := range l.Stacks["hello"].Replicas {
		body, err := get(ctx, fmt.Sprintf("http://%s:%d/", bed.Host(r.Host).Address, r.Ports["http"]))
		if err != nil {
			t.Fatalf("replica %d on %s: %v", r.Index, r.Host, err)
		}
		out[r.Host] = body
	}
	if out["h1"] == "" || out["h2"] == "" {
		t.Fatalf("want one replica on each of h1 and h2: %+v", l.Stacks["hello"])
	}
	return out
}

// seenThrough asks url up to n times and reports whether body came back.
func seenThrough(ctx context.Context, url, body string, n int) bool {
	for i := 0; i < n; i++ {
		if got, err := get(ctx, url); err == nil && got == body {
			return true
		}
	}
	return false
}

// loop sends a request to url about ten times a second until stopped; an error, or a body
// other than want (when set), is a failure.
type loop struct {
	stopc  chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	sent   int
	failed []string
}

func startLoop(ctx context.Context, url, want string) *loop {
	l := &loop{stopc: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 9000; i++ {
			select {
			case <-l.stopc:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			body, err := get(ctx, url)
			if err == nil && want != "" && body != want {
				err = fmt.Errorf("answered %q, want %q", body, want)
			}
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

func (l *loop) stop() (int, []string) {
	close(l.stopc)
	l.wg.Wait()
	return l.sent, l.failed
}

// The slice-migration example end to end: directory-legacy runs under systemd on dir-1 and
// dir-2 behind a hand-written HAProxy on lb-1, as in the example's story; the example's own
// runbook (unchanged, but for the bed's hosts and image) moves it into containers in 8 slices
// and its undo moves it back, while requests through the balancer are answered throughout.
func TestSliceMigrationExample(t *testing.T) {
	bed := startBed(t, "bookworm-docker:3+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	dir := sliceMigrationInventory(t, bed)
	dirs, lb := []*testbed.Host{bed.Host("h1"), bed.Host("h2")}, bed.Host("h3")
	for _, h := range dirs {
		installLegacy(t, h)
	}
	installLegacyBalancer(t, lb, dirs)
	url := fmt.Sprintf("http://%s/users/count", lb.Address)
	eventually(t, time.Minute, func() bool { body, err := get(ctx, url); return err == nil && body == "42" }, "the legacy service never answered through the balancer")
	edge := "edge_url=http://" + lb.Address

	t.Run("the 8 slices move the service while the balancer answers", func(t *testing.T) {
		loop := startLoop(ctx, url, "42")
		r := runBerth(t, 30*time.Minute, "runbook", "run", "migrate", dir, "--yes", "--no-color", "-var", edge)
		sent, failed := loop.stop()
		r.wantCode(t, 0)
		t.Logf("%d requests through the balancer during the migration, %d failed", sent, len(failed))
		if len(failed) > 0 {
			t.Errorf("requests failed during the migration (%d), first: %s", len(failed), failed[0])
		}
		if sent < 20 {
			t.Errorf("only %d requests: the loop proves nothing", sent)
		}
		for _, h := range dirs {
			if out := strings.TrimSpace(hostOutAllowFail(h, "systemctl", "is-active", "directory-legacy")); out != "inactive" {
				t.Errorf("%s: directory-legacy is %q", h.Name, out)
			}
			if out := hostOutAllowFail(h, "ls", "/opt/directory-legacy", "/var/backups/directory-legacy"); !strings.Contains(out, "No such file") || !strings.Contains(out, "www") {
				t.Errorf("%s: source not moved aside: %s", h.Name, out)
			}
		}
		if cfg := hostOut(t, lb, "cat", "/etc/haproxy/haproxy.cfg"); !strings.Contains(cfg, "server directory-next-0") || strings.Contains(cfg, "backend legacy") {
			t.Errorf("the balancer was not switched:\n%s", cfg)
		}
		if got := strings.Count(runbookStates(t, dir), "=done"); got != 14 {
			t.Errorf("%d steps done, want 14: %s", got, runbookStates(t, dir))
		}
	})

	t.Run("undo moves it back while the balancer answers", func(t *testing.T) {
		loop := startLoop(ctx, url, "42")
		r := runBerth(t, 15*time.Minute, "runbook", "undo", "migrate", dir, "--yes", "--no-color", "-var", edge)
		sent, failed := loop.stop()
		r.wantCode(t, 0)
		t.Logf("%d requests through the balancer during the undo, %d failed", sent, len(failed))
		if len(failed) > 0 {
			t.Errorf("requests failed during the undo (%d), first: %s", len(failed), failed[0])
		}
		for _, h := range dirs {
			if out := strings.TrimSpace(hostOutAllowFail(h, "systemctl", "is-active", "directory-legacy")); out != "active" {
				t.Errorf("%s: directory-legacy is %q after undo", h.Name, out)
			}
			if n := strings.TrimSpace(hostOut(t, h, "sh", "-c", "docker ps -q --filter label=com.docker.compose.project=directory-next | wc -l")); n != "0" {
				t.Errorf("%s: %s directory-next containers still run", h.Name, n)
			}
		}
		if cfg := hostOut(t, lb, "cat", "/etc/haproxy/haproxy.cfg"); !strings.Contains(cfg, "backend legacy") {
			t.Errorf("the hand-written configuration is not back:\n%s", cfg)
		}
	})
}

// sliceMigrationInventory copies examples/slice-migration and swaps in the bed: hosts.hcl
// (h1, h2, h3 as dir-1, dir-2, lb-1) and the stack's image.
func sliceMigrationInventory(t *testing.T, bed *testbed.Bed) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inv")
	if err := exec.Command("cp", "-r", "../examples/slice-migration", dir).Run(); err != nil {
		t.Fatal(err)
	}
	if err := bed.WriteInventory(dir); err != nil { // known_hosts
		t.Fatal(err)
	}
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n  port_range = \"20000-20999\"\n}\n", testbed.TestUser, bed.KeyFile)
	for name, h := range map[string]string{"dir-1": "h1", "dir-2": "h2", "lb-1": "h3"} {
		labels := map[string]string{"dir-1": `{ role = "directory", zone = "a" }`, "dir-2": `{ role = "directory", zone = "b" }`, "lb-1": `{ role = "lb" }`}[name]
		fmt.Fprintf(&hosts, "\nhost %q {\n  address = %q\n  labels  = %s\n}\n", name, bed.Host(h).Address, labels)
	}
	writeFile(t, filepath.Join(dir, "hosts.hcl"), hosts.String())
	writeFile(t, filepath.Join(dir, "stacks", "directory-next", "compose.yaml"), strings.ReplaceAll(directoryNextCompose, "IMAGE", bed.Registry.Image))
	return dir
}

// directoryNextCompose answers like the legacy service: /users/count is 42.
const directoryNextCompose = `services:
  api:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www/users && echo 42 > /www/users/count && echo ok > /www/health && exec httpd -f -p 8080 -h /www"]
    expose: ["8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 2s
      retries: 20
    stop_grace_period: 1s
`

const legacyUnit = `[Unit]
Description=directory (legacy, installed by hand)
After=network.target

[Service]
ExecStart=/usr/bin/python3 -m http.server 8080 --directory /opt/directory-legacy/www
Restart=always

[Install]
WantedBy=multi-user.target
`

// installLegacy is the service as it was before berth: files in /opt, a systemd unit.
func installLegacy(t *testing.T, h *testbed.Host) {
	t.Helper()
	hostOut(t, h, "sh", "-c", "mkdir -p /opt/directory-legacy/www/users && echo 42 > /opt/directory-legacy/www/users/count && echo ok > /opt/directory-legacy/www/health")
	hostIn(t, h, legacyUnit, "sh", "-c", "cat > /etc/systemd/system/directory-legacy.service")
	hostOut(t, h, "systemctl", "daemon-reload")
	hostOut(t, h, "systemctl", "enable", "--now", "directory-legacy")
}

// installLegacyBalancer is the hand-written HAProxy in front of the legacy service.
func installLegacyBalancer(t *testing.T, lb *testbed.Host, dirs []*testbed.Host) {
	t.Helper()
	hostOut(t, lb, "sh", "-c", "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null")
	cfg := "global\n  chroot /var/lib/haproxy\n  stats socket /run/haproxy/admin.sock mode 660 level admin\n  user haproxy\n  group haproxy\n  daemon\n\n" +
		"defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\n" +
		"frontend directory\n  bind :80\n  default_backend legacy\n\nbackend legacy\n"
	for i, h := range dirs {
		cfg += fmt.Sprintf("  server dir-%d %s:8080 check inter 1s\n", i+1, h.Address)
	}
	hostIn(t, lb, cfg, "sh", "-c", "cat > /etc/haproxy/haproxy.cfg")
	hostOut(t, lb, "systemctl", "restart", "haproxy")
}

// hostOutAllowFail runs argv on h and returns its output (stdout and stderr) whatever the exit.
func hostOutAllowFail(h *testbed.Host, argv ...string) string {
	out, _ := h.Exec(context.Background(), "sh", "-c", modules.QuoteArgv(argv)+" 2>&1; true")
	return out
}

// runbookStates is every step's last state in the migrate journal, in journal order.
func runbookStates(t *testing.T, dir string) string {
	var s []string
	for _, j := range readJournal(t, filepath.Join(dir, ".berth", "runs", "migrate")) {
		switch j.Type {
		case "step.finished":
			s = append(s, j.Step+"=done")
		case "step.failed":
			s = append(s, j.Step+"=failed")
		}
	}
	return strings.Join(s, " ")
}
