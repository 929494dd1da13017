package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// The berth agent on real hosts (docs/agent.md): berth pushes its own static binary once,
// verified by SHA-256, and serves a whole host's observation through it; a run that finds it
// cached uploads nothing; a host where it cannot execute (noexec home and /var/tmp) falls back
// to plain SSH with a warning and the same result; `transport = "ssh"` never uploads it.
// Every other integration scenario runs through the agent too, since it is the default.

// agentStat is one host's --stats line: "stats: h1: connect 12ms, 2 round trips, 812 bytes
// sent, agent (peak RSS 9.1 MB)".
type agentStat struct {
	trips, bytes int
	how          string
}

var statLine = regexp.MustCompile(`(?m)^stats: (\S+): connect \S+, (\d+) round trips, (\d+) bytes sent, (.*)$`)

func agentStats(t *testing.T, stderr string) map[string]agentStat {
	t.Helper()
	out := map[string]agentStat{}
	for _, m := range statLine.FindAllStringSubmatch(stderr, -1) {
		trips, _ := strconv.Atoi(m[2])
		bytes, _ := strconv.Atoi(m[3])
		out[m[1]] = agentStat{trips: trips, bytes: bytes, how: m[4]}
	}
	if len(out) == 0 {
		t.Fatalf("no --stats lines in:\n%s", stderr)
	}
	t.Logf("%v", out)
	return out
}

func TestAgent(t *testing.T) {
	bed := sharedBed(t, "mixed-docker:2+registry")
	dir := quickstartInventory(t, bed)
	// A third stack, so that every host runs docker, syslog and 3 stacks (hello has 2 replicas).
	if out, err := exec.Command("cp", "-r", filepath.Join(dir, "stacks", "whoami"), filepath.Join(dir, "stacks", "whoami2")).CombinedOutput(); err != nil {
		t.Fatalf("copy whoami: %v %s", err, out)
	}
	writeFile(t, filepath.Join(dir, "third.hcl"), "stack \"whoami2\" {\n  compose = \"stacks/whoami2\"\n  place {\n    hosts = \"role=app\"\n  }\n  port \"http\" {\n    container = 8080\n  }\n}\n")
	writeFile(t, filepath.Join(dir, "secrets", "hello.env"), "GREETING=hello through the agent\n")
	ctx := context.Background()
	for _, h := range bed.Hosts { // a cache left by another scenario would hide the upload
		hostOut(t, h, "sh", "-c", "rm -rf ~"+testbed.TestUser+"/.cache/berth /var/tmp/berth-agent-*")
	}
	// What is uploaded: the small berth-agent built beside berth (conn.AgentBinary).
	sum := fileSHA256(t, filepath.Join(filepath.Dir(berthBinary(t)), "berth-agent-linux-"+runtime.GOARCH))
	// One user's cache across the runs, as on an operator's machine: what a run saw of the
	// hosts (facts.Hints) lets the next one send its resources' probes with the first look.
	cache := []string{"XDG_CACHE_HOME=" + t.TempDir()}

	t.Run("the first apply uploads the agent once per host and converges through it", func(t *testing.T) {
		res := runBerthEnv(t, 15*time.Minute, cache, "apply", dir, "--yes", "--stats", "--no-color")
		res.wantCode(t, 0)
		for name, st := range agentStats(t, res.Stderr) {
			if !strings.HasPrefix(st.how, "agent (") || !strings.Contains(st.how, "uploaded now") {
				t.Errorf("%s: %q, want the agent, uploaded by this run", name, st.how)
			}
		}
		for _, h := range bed.Hosts {
			got := hostOut(t, h, "sh", "-c", "cd ~"+testbed.TestUser+"/.cache/berth/agent && stat -c %a . && ls && sha256sum */berth")
			if want := "700\n" + sum + "\n" + sum + "  " + sum + "/berth"; got != want {
				t.Errorf("%s: agent cache:\n%s\nwant:\n%s", h.Name, got, want)
			}
		}
		for _, r := range readLock(t, dir).Stacks["hello"].Replicas {
			if got := httpGet(t, bed.Host(r.Host).Address, r.Ports["http"]); got != "hello through the agent" {
				t.Errorf("hello on %s answers %q", r.Host, got)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("a no-change drift of docker, syslog and 3 stacks takes one round trip per host and uploads nothing", func(t *testing.T) {
		res := runBerthEnv(t, 5*time.Minute, cache, "drift", dir, "--stats", "--no-color")
		res.wantCode(t, 0)
		for name, st := range agentStats(t, res.Stderr) {
			if !strings.HasPrefix(st.how, "agent (") || strings.Contains(st.how, "uploaded now") {
				t.Errorf("%s: %q, want the cached agent", name, st.how)
			}
			if st.trips != 1 || st.bytes > 64<<10 {
				t.Errorf("%s: %d round trips, %d bytes sent; want 1 and no upload", name, st.trips, st.bytes)
			}
		}
		facts := runBerth(t, 2*time.Minute, "facts", dir, "--stats")
		facts.wantCode(t, 0)
		if n := strings.Count(facts.Stderr, ", agent (peak RSS"); n != len(bed.Hosts) {
			t.Errorf("facts: %d hosts through the agent, want %d:\n%s", n, len(bed.Hosts), facts.Stderr)
		}
	})

	t.Run("five changed files cost the round trips of one, through the agent and over plain SSH", func(t *testing.T) {
		files := filepath.Join(dir, "batch.hcl")
		defer os.Remove(files)
		hosts := filepath.Join(dir, "hosts.hcl")
		orig, err := os.ReadFile(hosts)
		if err != nil {
			t.Fatal(err)
		}
		defer writeFile(t, hosts, string(orig))
		// apply writes the five files with these contents and returns each host's round trips.
		apply := func(contents ...string) map[string]agentStat {
			var b strings.Builder
			for i, c := range contents {
				fmt.Fprintf(&b, "file \"/etc/berth-batch/f%d\" {\n  hosts = \"*\"\n  content = \"%s on ${host.name}\\n\"\n  mode = \"0640\"\n}\n", i, c)
			}
			writeFile(t, files, b.String())
			res := runBerth(t, 5*time.Minute, "apply", dir, "--yes", "--stats", "--no-color")
			res.wantCode(t, 0)
			for _, h := range bed.Hosts {
				want := ""
				for _, c := range contents {
					want += "640 " + c + " on " + h.Name + "\n"
				}
				if got := hostOut(t, h, "sh", "-c", "for f in /etc/berth-batch/f*; do printf '%s ' $(stat -c %a $f); cat $f; done"); got+"\n" != want {
					t.Errorf("%s: files hold\n%s\nwant\n%s", h.Name, got, want)
				}
			}
			return agentStats(t, res.Stderr)
		}
		for _, transport := range []string{"agent", "ssh"} {
			if transport == "ssh" {
				writeFile(t, hosts, strings.Replace(string(orig), "  ssh {\n", "  ssh {\n    transport = \"ssh\"\n", 1))
			}
			apply(transport+"0", transport+"0", transport+"0", transport+"0", transport+"0")
			one := apply(transport+"1", transport+"0", transport+"0", transport+"0", transport+"0")
			five := apply(transport+"2", transport+"2", transport+"2", transport+"2", transport+"2")
			for _, h := range bed.Hosts {
				if five[h.Name].trips != one[h.Name].trips || one[h.Name].trips == 0 {
					t.Errorf("%s over %s: 5 changed files took %d round trips, 1 took %d; want the same", h.Name, transport, five[h.Name].trips, one[h.Name].trips)
				}
			}
		}
	})

	t.Run("a host where the agent cannot execute falls back to plain SSH with the same answer", func(t *testing.T) {
		h := bed.Hosts[1]
		home := hostOut(t, h, "sh", "-c", "getent passwd "+testbed.TestUser+" | cut -d: -f6")
		hostOut(t, h, "sh", "-c", "mkdir -p "+home+"/.cache && mount -t tmpfs -o noexec,size=64m,mode=1777 tmpfs "+home+"/.cache && mount -t tmpfs -o noexec,size=64m,mode=1777 tmpfs /var/tmp")
		defer h.Exec(ctx, "sh", "-c", "umount /var/tmp; umount "+home+"/.cache")
		res := runBerth(t, 5*time.Minute, "drift", dir, "--stats", "--no-color")
		res.wantCode(t, 0)
		if !strings.Contains(res.Stderr, "warning: agent unavailable on "+h.Name+":") || !strings.Contains(res.Stderr, "using plain SSH") {
			t.Errorf("no fallback warning for %s:\n%s", h.Name, res.Stderr)
		}
		st := agentStats(t, res.Stderr)
		if !strings.HasPrefix(st[h.Name].how, "plain ssh (") || !strings.HasPrefix(st[bed.Hosts[0].Name].how, "agent (") {
			t.Errorf("want plain ssh on %s and the agent on %s: %v", h.Name, bed.Hosts[0].Name, st)
		}
	})

	t.Run(`transport = "ssh" never uploads the agent`, func(t *testing.T) {
		for _, h := range bed.Hosts {
			hostOut(t, h, "sh", "-c", "rm -rf ~"+testbed.TestUser+"/.cache/berth /var/tmp/berth-agent-*")
		}
		hosts := filepath.Join(dir, "hosts.hcl")
		b, err := os.ReadFile(hosts)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, hosts, strings.Replace(string(b), "  ssh {\n", "  ssh {\n    transport = \"ssh\"\n", 1))
		defer writeFile(t, hosts, string(b))
		res := runBerthEnv(t, 5*time.Minute, cache, "drift", dir, "--stats", "--no-color")
		res.wantCode(t, 0)
		for name, st := range agentStats(t, res.Stderr) {
			if st.how != "plain ssh" || st.bytes > 64<<10 || st.trips != 1 {
				t.Errorf("%s: %q, %d round trips, %d bytes sent; want plain ssh, 1 round trip (the prediction does not need the agent) and no upload", name, st.how, st.trips, st.bytes)
			}
		}
		for _, h := range bed.Hosts {
			if out := hostOut(t, h, "sh", "-c", "ls -d ~"+testbed.TestUser+"/.cache/berth /var/tmp/berth-agent-* 2>/dev/null; true"); out != "" {
				t.Errorf("%s: agent cache created with transport = \"ssh\": %s", h.Name, out)
			}
		}
	})
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
