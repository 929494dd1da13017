package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// The quickstart example through the real CLI on a mixed fleet (Debian 12 with compose v1,
// Debian 13 with compose v2): the engine places the stacks, picks their ports, deploys them
// from the test registry after configuring the host layer, and reports drift of stacks and
// host layer together. A canary secret in the env file must appear in no output.

const cliCanary = "canary-Zq81-cli-never-print"

func TestQuickstartThroughTheCLI(t *testing.T) {
	bed := startBed(t, "mixed-docker:2+registry")
	dir := quickstartInventory(t, bed)
	envFile := filepath.Join(dir, "secrets", "hello.env")
	writeFile(t, envFile, "GREETING=hello from berth\nAPI_KEY="+cliCanary+"\n")
	var outputs []string
	berth := func(timeout time.Duration, want int, args ...string) berthResult {
		t.Helper()
		r := runBerth(t, timeout, args...)
		outputs = append(outputs, r.Stdout, r.Stderr)
		r.wantCode(t, want)
		return r
	}
	ctx := context.Background()

	t.Run("apply deploys both stacks on both compose generations and each replica answers", func(t *testing.T) {
		berth(10*time.Minute, 0, "apply", dir, "--yes")
		lock := readLock(t, dir)
		if n := len(lock.Stacks["hello"].Replicas); n != 2 {
			t.Fatalf("hello has %d replicas in the lock file, want 2", n)
		}
		for _, r := range lock.Stacks["hello"].Replicas {
			h := bed.Host(r.Host)
			if got := httpGet(t, h.Address, r.Ports["http"]); got != "hello from berth" {
				t.Errorf("hello on %s answers %q", r.Host, got)
			}
		}
		w := lock.Stacks["whoami"].Replicas[0]
		if got := httpGet(t, bed.Host(w.Host).Address, w.Ports["http"]); got == "" {
			t.Errorf("whoami on %s does not answer", w.Host)
		}
	})

	t.Run("container logs land in their own file with their tag", func(t *testing.T) {
		for _, h := range bed.Hosts {
			eventually(t, 30*time.Second, func() bool {
				out, _ := h.Exec(ctx, "sh", "-c", "ls /var/log/containers/ | grep hello")
				return strings.TrimSpace(out) != ""
			}, h.Name+": no /var/log/containers/hello*.log")
		}
	})

	t.Run("the env file is private on the hosts", func(t *testing.T) {
		for _, h := range bed.Hosts {
			if got := hostOut(t, h, "stat", "-c", "%a %U", "/srv/berth/hello/.env"); got != "600 root" {
				t.Errorf("%s: .env is %s", h.Name, got)
			}
		}
	})

	t.Run("a second run changes nothing and drift is clean", func(t *testing.T) {
		berth(2*time.Minute, 0, "plan", dir)
		berth(2*time.Minute, 0, "drift", dir, "--json")
	})

	t.Run("a stopped container is drift, and apply brings it back", func(t *testing.T) {
		h := bed.Hosts[1]
		hostOut(t, h, "sh", "-c", "docker stop $(docker ps -q --filter label=com.docker.compose.project=hello)")
		r := berth(2*time.Minute, 2, "drift", dir)
		if !strings.Contains(r.Stdout, "stack.hello") || !strings.Contains(r.Stdout, bed.Hosts[0].Name+": no changes") {
			t.Errorf("drift:\n%s", r.Stdout)
		}
		berth(5*time.Minute, 0, "apply", dir, "--yes")
		berth(2*time.Minute, 0, "drift", dir)
	})

	t.Run("an env change is planned as sensitive and served after apply", func(t *testing.T) {
		writeFile(t, envFile, "GREETING=bonjour\nAPI_KEY="+cliCanary+"-2\n")
		r := berth(2*time.Minute, 2, "plan", dir, "--json")
		if !strings.Contains(r.Stdout, "stack.hello") {
			t.Errorf("plan does not change hello:\n%s", r.Stdout)
		}
		berth(5*time.Minute, 0, "apply", dir, "--yes", "--json")
		for _, rep := range readLock(t, dir).Stacks["hello"].Replicas {
			if got := httpGet(t, bed.Host(rep.Host).Address, rep.Ports["http"]); got != "bonjour" {
				t.Errorf("hello on %s answers %q after the env change", rep.Host, got)
			}
		}
	})

	t.Run("removing a stack stops its containers and keeps its volumes", func(t *testing.T) {
		stacks := filepath.Join(dir, "stacks.hcl")
		src, _ := os.ReadFile(stacks)
		i := strings.Index(string(src), "# The same image, answering")
		if i < 0 {
			t.Fatal("stacks.hcl layout changed: cannot find the whoami stack")
		}
		writeFile(t, stacks, string(src[:i]))
		host := readLock(t, dir).Stacks["whoami"].Replicas[0].Host
		r := berth(2*time.Minute, 2, "plan", dir)
		if !strings.Contains(r.Stdout, "- stack.whoami") {
			t.Errorf("plan does not remove whoami:\n%s", r.Stdout)
		}
		berth(5*time.Minute, 0, "apply", dir, "--yes")
		if out := hostOut(t, bed.Host(host), "docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=whoami"); out != "" {
			t.Errorf("whoami containers left on %s: %s", host, out)
		}
		if _, ok := readLock(t, dir).Stacks["whoami"]; ok {
			t.Error("the lock file still lists whoami")
		}
		berth(2*time.Minute, 0, "plan", dir)
	})

	t.Run("the canary secret appears in no output", func(t *testing.T) {
		for i, o := range outputs {
			if strings.Contains(o, cliCanary) {
				t.Fatalf("output %d contains the canary:\n%s", i, o)
			}
		}
	})
}

func readLock(t *testing.T, dir string) lockFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "berth.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l lockFile
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// httpGet asks addr:port for / and returns the body (no newline), failing the test on error.
func httpGet(t *testing.T, addr string, port int) string {
	t.Helper()
	body, err := get(context.Background(), fmt.Sprintf("http://%s:%d/", addr, port))
	if err != nil {
		t.Fatalf("GET %s:%d: %v", addr, port, err)
	}
	return body
}

// quickstartInventory writes the bed's hosts and the quickstart example's stacks into a new
// inventory directory.
func quickstartInventory(t *testing.T, bed *testbed.Bed) string {
	t.Helper()
	dir := t.TempDir()
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"stacks", "secrets", "stacks.hcl"} {
		if out, err := exec.Command("cp", "-r", filepath.Join("..", "examples", "quickstart", p), dir).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v %s", p, err, out)
		}
	}
	return dir
}
