package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/integration/testbed"
)

// Secrets: two canary values, one in a stack's env file and one in an HCL variable marked
// sensitive, are set for every scenario of the reliability suite. After each scenario nothing
// berth printed (text, --json events, --format json diagnostics, JUnit, saved plans) may
// contain either, and no process on the hosts may have had one on its command line: a loop on
// each host greps /proc/*/cmdline for the whole run. At the end the hosts' journals (sudo
// logs every command it runs) are searched too.

const (
	envCanary = "canary-env-Vk93-never-print"
	varCanary = "canary-var-Qm27-never-print"
)

var canaries = []string{envCanary, varCanary}

// canaryScan greps every process's command line on the hosts, over and over, for the canaries.
// Hits go to /var/tmp (not /tmp, a tmpfs) so they survive a host that is stopped and started.
type canaryScan struct {
	hosts []*testbed.Host
}

const scanDir = "/var/tmp/berth-canary-scan"

// The loop stops when scanDir/stop appears or when scanDir/run no longer holds its own pid (a
// restarted scan replaces it).
const scanLoop = `d=` + scanDir + `; echo $$ > $d/run; rm -f $d/stop; ` +
	`while [ ! -e $d/stop ] && [ "$(cat $d/run)" = $$ ]; do ` +
	`grep -aF -f $d/pattern /proc/[0-9]*/cmdline >> $d/hits 2>/dev/null; done`

func startCanaryScan(t *testing.T, hosts []*testbed.Host) *canaryScan {
	t.Helper()
	s := &canaryScan{hosts: hosts}
	for _, h := range hosts {
		hostOut(t, h, "sh", "-c", "rm -rf "+scanDir+" && mkdir -p "+scanDir)
		s.start(t, h)
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			h.Exec(context.Background(), "touch", scanDir+"/stop")
		}
	})
	return s
}

// start (re)starts the loop on h, after a host restart for example.
func (s *canaryScan) start(t *testing.T, h *testbed.Host) {
	t.Helper()
	// The patterns go through stdin: the scanner's own command line must not hold them.
	hostIn(t, h, strings.Join(canaries, "\n")+"\n", "sh", "-c", "cat > "+scanDir+"/pattern")
	go h.Exec(context.Background(), "sh", "-c", scanLoop)
}

// hits returns what the scan found so far on every host that answers.
func (s *canaryScan) hits() string {
	var b strings.Builder
	for _, h := range s.hosts {
		out, err := h.Exec(context.Background(), "sh", "-c", "cat "+scanDir+"/hits 2>/dev/null; true")
		if err == nil && strings.TrimSpace(out) != "" {
			b.WriteString(h.Name + ": " + strings.TrimSpace(out) + "\n")
		}
	}
	return b.String()
}

// checkNoCanary fails the test if any output recorded so far, or any command line seen on the
// hosts, holds a canary. Every scenario ends with it.
func (r *relRun) checkNoCanary(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	outs := append([]string(nil), r.outputs...)
	r.mu.Unlock()
	for i, o := range outs {
		for _, c := range canaries {
			if strings.Contains(o, c) {
				t.Errorf("berth output %d holds the canary %s:\n%s", i, c, excerpt(o, c))
			}
		}
	}
	if r.scan != nil {
		if h := r.scan.hits(); h != "" {
			t.Errorf("a canary was on a command line on the hosts:\n%s", h)
		}
	}
}

// checkJournals fails the test if a host's journal (sshd, sudo, dockerd) holds a canary.
func checkJournals(t *testing.T, hosts []*testbed.Host) {
	t.Helper()
	for _, h := range hosts {
		// The patterns file is the scan's (see start): a pattern never goes on a command line.
		out, err := h.Exec(context.Background(), "sh", "-c",
			"{ journalctl --no-pager -q; cat /var/lib/berth/runs/*.jsonl /var/lib/berth/runs/*.log 2>/dev/null; } | grep -aF -f "+scanDir+"/pattern | head -5; true")
		if err != nil {
			t.Errorf("%s: journal: %v", h.Name, err)
		}
		if out != "" {
			t.Errorf("%s: the journal or a run journal holds a canary:\n%s", h.Name, out)
		}
	}
}

// excerpt is the line of s around c, so a failure shows where the secret went.
func excerpt(s, c string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, c) {
			if len(line) > 400 {
				i := strings.Index(line, c)
				line = line[max(0, i-200):min(len(line), i+200)]
			}
			return line
		}
	}
	return ""
}
