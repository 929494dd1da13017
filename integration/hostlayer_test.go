package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// The host layer on bare Debian hosts, one of each release: berth installs docker.io,
// docker-compose and rsyslog with apt for real, configures daemon.json and rsyslog, and
// then keeps them as the inventory says. Scenarios run in order on the same hosts; each
// checks state on the hosts (through docker exec, beside berth's SSH path).

const hostLayerHCL = `
docker {
  hosts  = "*"
  source = "distro"
}

syslog {
  hosts = "*"
}
`

func TestHostLayer(t *testing.T) {
	bed := startBed(t, "mixed:2+registry")
	dir := t.TempDir()
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "layer.hcl"), hostLayerHCL)
	ctx := context.Background()

	t.Run("first apply installs docker and rsyslog and gives each container its log file", func(t *testing.T) {
		runBerth(t, 15*time.Minute, "apply", dir, "--yes").wantCode(t, 0)
		for _, h := range bed.Hosts {
			if out := hostOut(t, h, "systemctl", "is-active", "docker", "rsyslog"); out != "active\nactive" {
				t.Errorf("%s: docker, rsyslog: %q", h.Name, out)
			}
			daemon := hostOut(t, h, "cat", "/etc/docker/daemon.json")
			for _, want := range []string{`"log-driver": "syslog"`, `"tag": "{{.Name}}"`, `"syslog-facility": "local6"`} {
				if !strings.Contains(daemon, want) {
					t.Errorf("%s: daemon.json lacks %s:\n%s", h.Name, want, daemon)
				}
			}
			name := "berth-logs-" + h.Name
			line := "hello-from-" + h.Name
			hostOut(t, h, "docker", "run", "--rm", "--name", name, bed.Registry.Image, "echo", line)
			eventually(t, 20*time.Second, func() bool {
				got, _ := h.Exec(ctx, "cat", "/var/log/containers/"+name+".log")
				return strings.Contains(got, name+"[") && strings.Contains(got, line)
			}, h.Name+": the container's line never reached /var/log/containers/"+name+".log")
		}
	})

	t.Run("second apply plans nothing and changes nothing", func(t *testing.T) {
		before := hostLayerState(t, bed)
		runBerth(t, 2*time.Minute, "plan", dir).wantCode(t, 0)
		r := runBerth(t, 2*time.Minute, "apply", dir, "--yes")
		r.wantCode(t, 0)
		runBerth(t, 2*time.Minute, "drift", dir).wantCode(t, 0)
		if after := hostLayerState(t, bed); after != before {
			t.Fatalf("a no-change run changed the hosts:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	t.Run("a hand edit is drift on that host only and apply restarts docker there only", func(t *testing.T) {
		h1, h2 := bed.Hosts[0], bed.Hosts[1]
		h1Start := dockerStarted(t, h1)
		h2Start := dockerStarted(t, h2)
		hostIn(t, h2, `{"log-driver": "json-file"}`, "sh", "-c", "cat > /etc/docker/daemon.json")
		junit := filepath.Join(t.TempDir(), "drift.xml")
		r := runBerth(t, 2*time.Minute, "drift", dir, "--junit", junit)
		r.wantCode(t, 2)
		if !strings.Contains(r.Stdout, "h1: no changes") || !strings.Contains(r.Stdout, "docker.daemon") || strings.Count(r.Stdout, "docker.daemon") != 1 {
			t.Errorf("drift report:\n%s", r.Stdout)
		}
		report, _ := os.ReadFile(junit)
		if !strings.Contains(string(report), `<testsuite name="h2" tests=`) || strings.Count(string(report), "<failure") != 1 {
			t.Errorf("junit:\n%s", report)
		}
		runBerth(t, 5*time.Minute, "apply", dir, "--yes").wantCode(t, 0)
		if got := dockerStarted(t, h1); got != h1Start {
			t.Errorf("docker restarted on h1, which did not drift (%s -> %s)", h1Start, got)
		}
		if got := dockerStarted(t, h2); got == h2Start {
			t.Errorf("docker was not restarted on h2 after its daemon.json was fixed")
		}
		if d := hostOut(t, h2, "cat", "/etc/docker/daemon.json"); !strings.Contains(d, `"syslog"`) {
			t.Errorf("h2 daemon.json not fixed:\n%s", d)
		}
	})

	t.Run("an invalid daemon option is refused and the previous daemon.json keeps docker running", func(t *testing.T) {
		before := map[string]string{}
		for _, h := range bed.Hosts {
			before[h.Name] = hostOut(t, h, "sha256sum", "/etc/docker/daemon.json")
		}
		writeFile(t, filepath.Join(dir, "layer.hcl"), strings.Replace(hostLayerHCL, `source = "distro"`,
			`source = "distro"
  daemon = { "log-driver" = "syslog", "log-opts" = { tag = "{{.Name}}" }, "no-such-option" = true }`, 1))
		defer writeFile(t, filepath.Join(dir, "layer.hcl"), hostLayerHCL)
		r := runBerth(t, 5*time.Minute, "apply", dir, "--yes")
		r.wantCode(t, 1)
		for _, h := range bed.Hosts {
			if got := hostOut(t, h, "sha256sum", "/etc/docker/daemon.json"); got != before[h.Name] {
				t.Errorf("%s: daemon.json was left changed", h.Name)
			}
			eventually(t, 30*time.Second, func() bool {
				out, _ := h.Exec(ctx, "docker", "info", "--format", "{{.ServerVersion}}")
				return out != ""
			}, h.Name+": docker does not run after the refused change")
			if !strings.Contains(r.Stdout, h.Name) {
				t.Errorf("summary does not name %s:\n%s", h.Name, r.Stdout)
			}
		}
	})

	t.Run("a host stopped mid-apply fails alone and the next apply converges it", func(t *testing.T) {
		h2 := bed.Hosts[1]
		writeFile(t, filepath.Join(dir, "extra.hcl"), "package \"tools\" {\n  hosts = \"*\"\n  names = [\"tree\"]\n}\n")
		defer os.Remove(filepath.Join(dir, "extra.hcl"))
		stopOn := func(ev map[string]any) bool {
			return ev["type"] == "change.started" && ev["host"] == h2.Name
		}
		r := applyWithFault(t, dir, stopOn, func() {
			if err := h2.Stop(ctx); err != nil {
				t.Errorf("stop %s: %v", h2.Name, err)
			}
		})
		if r.Code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		if !strings.Contains(r.Stdout, `"host":"h1","outcome":"changed"`) || !strings.Contains(r.Stdout, `"host":"h2","outcome":"failed"`) {
			t.Errorf("summary:\n%s", r.Stdout)
		}
		if out := hostOut(t, bed.Hosts[0], "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "tree"); !strings.HasPrefix(out, "ii") {
			t.Errorf("h1 did not finish: tree is %q", out)
		}
		if err := h2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := h2.WaitSSH(ctx, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		runBerth(t, 5*time.Minute, "apply", dir, "--yes").wantCode(t, 0)
		if out := hostOut(t, h2, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "tree"); !strings.HasPrefix(out, "ii") {
			t.Errorf("h2 did not converge: tree is %q", out)
		}
		runBerth(t, 2*time.Minute, "plan", dir).wantCode(t, 0)
	})

	t.Run("a held dpkg lock makes apt wait a bounded time and name its holder while other hosts finish", func(t *testing.T) {
		h1, h2 := bed.Hosts[0], bed.Hosts[1]
		hosts := filepath.Join(dir, "hosts.hcl")
		orig, err := os.ReadFile(hosts)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, hosts, strings.Replace(string(orig), "defaults {", "defaults {\n  apt_lock_timeout = \"8s\"", 1))
		defer writeFile(t, hosts, string(orig))
		writeFile(t, filepath.Join(dir, "extra.hcl"), "package \"calc\" {\n  hosts = \"*\"\n  names = [\"bc\"]\n}\n")
		defer os.Remove(filepath.Join(dir, "extra.hcl"))
		// apt locks with fcntl, so the holder must too: a python3 process keeps it for a minute.
		holder := "import fcntl, time\nf = open('/var/lib/dpkg/lock-frontend', 'w')\nfcntl.lockf(f, fcntl.LOCK_EX)\nopen('/run/dpkg-held', 'w').close()\ntime.sleep(60)\n"
		go h1.ExecInput(context.Background(), strings.NewReader(holder), "python3", "-")
		defer h1.Exec(context.Background(), "pkill", "-f", "python3 -")
		eventually(t, 20*time.Second, func() bool {
			_, err := h1.Exec(ctx, "test", "-e", "/run/dpkg-held")
			return err == nil
		}, "the dpkg lock holder did not start")
		r := runBerth(t, 5*time.Minute, "apply", dir, "--yes")
		r.wantCode(t, 1)
		if !strings.Contains(r.Stdout, "held by process") || !strings.Contains(r.Stdout, "python3") {
			t.Errorf("the error does not name the lock holder:\n%s", r.Stdout)
		}
		if out := hostOut(t, h2, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "bc"); !strings.HasPrefix(out, "ii") {
			t.Errorf("h2 did not finish while h1 waited: bc is %q", out)
		}
		h1.Exec(ctx, "pkill", "-f", "python3 -")
		h1.Exec(ctx, "rm", "-f", "/run/dpkg-held")
		runBerth(t, 5*time.Minute, "apply", dir, "--yes").wantCode(t, 0)
	})
}

// applyWithFault runs `berth apply --yes --json`, calls fault once when an event matches,
// and returns the result.
func applyWithFault(t *testing.T, dir string, match func(map[string]any) bool, fault func()) berthResult {
	t.Helper()
	return runWithFault(t, 10*time.Minute, nil, []string{"apply", dir, "--yes"}, match, func(*faultRun) { fault() })
}

// hostLayerState is what a no-change run must leave alone: managed files and when services
// started.
func hostLayerState(t *testing.T, bed *testbed.Bed) string {
	var b strings.Builder
	for _, h := range bed.Hosts {
		b.WriteString(hostOut(t, h, "sha256sum", "/etc/docker/daemon.json", "/etc/rsyslog.d/40-berth-containers.conf", "/etc/logrotate.d/berth-containers"))
		b.WriteString(hostOut(t, h, "systemctl", "show", "-p", "ActiveEnterTimestampMonotonic", "docker", "rsyslog"))
	}
	return b.String()
}

func dockerStarted(t *testing.T, h *testbed.Host) string {
	return hostOut(t, h, "systemctl", "show", "-p", "ActiveEnterTimestampMonotonic", "docker")
}

func hostOut(t *testing.T, h *testbed.Host, argv ...string) string {
	t.Helper()
	out, err := h.Exec(context.Background(), argv...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	return out
}

func hostIn(t *testing.T, h *testbed.Host, stdin string, argv ...string) {
	t.Helper()
	if _, err := h.ExecInput(context.Background(), strings.NewReader(stdin), argv...); err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
