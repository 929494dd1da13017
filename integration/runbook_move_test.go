package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// A move inside a runbook, through the real CLI: a runbook's apply step follows the one rule
// of every apply. Stack web runs on h1 and h2; h2 is drained, so its replica should move to h3.
// A step whose hosts are only h2 holds the move (h2 keeps serving, nothing is removed, the
// lock file is untouched); a step on h2 and h3 carries it out; undraining h2 afterwards moves
// nothing back, keeps every port, and plans no removal. At every point each replica host the
// lock file names answers on the port it records, and runs exactly the replicas recorded.
// (Before: the h2-only step removed the replica and recorded it on h3, where nothing ran; the
// revert planned "stack web is no longer in the inventory", failed with unknown operation
// "remove", still rewrote the lock file, and the next apply changed a sticky port.)

const runbookMoveHCL = `
variable "drained" {
  type    = string
  default = ""
}

stack "web" {
  compose  = "stacks/web"
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

runbook "hold" {
  step "apply-h2" {
    kind    = "apply"
    hosts   = "h2"
    timeout = "5m"
  }
}

runbook "move" {
  step "apply-h2-h3" {
    kind    = "apply"
    hosts   = ["h2", "h3"]
    timeout = "5m"
  }
}
`

func TestRunbookApplyStepHoldsAMoveOutsideItsHosts(t *testing.T) {
	bed := startBed(t, "bookworm-docker:3+registry")
	dir := t.TempDir()
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n  port_range = \"20000-29999\"\n}\n", testbed.TestUser, bed.KeyFile)
	for _, h := range bed.Hosts {
		fmt.Fprintf(&hosts, "\nhost %q {\n  address = %q\n  labels  = { role = \"app\" }\n  drain   = var.drained == %q\n}\n", h.Name, h.Address, h.Name)
	}
	files := map[string]string{
		"hosts.hcl":               hosts.String(),
		"main.hcl":                runbookMoveHCL,
		"stacks/web/compose.yaml": strings.NewReplacer("IMAGE", bed.Registry.Image, "STACK", "web").Replace(placementCompose),
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	berth := func(want int, args ...string) string {
		t.Helper()
		r := runBerth(t, 10*time.Minute, append(args, "--no-color")...)
		r.wantCode(t, want)
		return r.Stdout + r.Stderr
	}
	// truth checks that the lock file is what runs: each recorded replica answers on its
	// port, and each host runs as many web containers as the lock file places there.
	truth := func(when string) lockFile {
		t.Helper()
		lock := readLock(t, dir)
		placed := map[string]int{}
		for _, r := range lock.Stacks["web"].Replicas {
			placed[r.Host]++
			if got := httpGet(t, bed.Host(r.Host).Address, r.Ports["http"]); !strings.HasPrefix(got, "web ") {
				t.Errorf("%s: replica %d on %s:%d answers %q", when, r.Index, r.Host, r.Ports["http"], got)
			}
		}
		for _, h := range bed.Hosts {
			n := hostOut(t, h, "sh", "-c", "docker ps -q --filter label=com.docker.compose.project=web | wc -l")
			if n != fmt.Sprint(placed[h.Name]) {
				t.Errorf("%s: %s runs %s web containers, the lock file places %d there", when, h.Name, n, placed[h.Name])
			}
		}
		return lock
	}
	hostsOf := func(l lockFile) []string {
		var hs []string
		for _, r := range l.Stacks["web"].Replicas {
			hs = append(hs, r.Host)
		}
		slices.Sort(hs)
		return hs
	}

	// h3 drained first, so web runs on h1 and h2; then h2 is drained and h3 is free.
	berth(0, "apply", dir, "--yes", "-var", "drained=h3")
	before := truth("first apply")
	if got := hostsOf(before); !slices.Equal(got, []string{"h1", "h2"}) {
		t.Fatalf("web placed on %v, want h1 and h2 (h3 drained)", got)
	}
	drain := []string{"-var", "drained=h2"}

	out := berth(0, append([]string{"runbook", "run", "hold", dir, "--yes"}, drain...)...)
	t.Logf("runbook hold, for the record:\n%s", out)
	if !strings.Contains(out, "held on h2") || strings.Contains(out, "unknown operation") {
		t.Errorf("the h2-only step does not say the move is held:\n%s", out)
	}
	if after := truth("after the h2-only step"); !equalLocks(after, before) {
		t.Errorf("the h2-only step changed the lock file:\nbefore %+v\nafter  %+v", before, after)
	}

	out = berth(0, append([]string{"runbook", "run", "move", dir, "--yes"}, drain...)...)
	if !strings.Contains(out, "moves to h3") {
		t.Errorf("the removal from h2 does not say the replica moves to h3:\n%s", out)
	}
	moved := truth("after the h2+h3 step")
	if got := hostsOf(moved); !slices.Equal(got, []string{"h1", "h3"}) {
		t.Fatalf("after the move web is placed on %v, want h1 and h3", got)
	}

	// Undrain h2: replicas do not move back, no removal is planned, ports stay.
	out = berth(0, "plan", dir)
	if strings.Contains(out, "no longer in the inventory") || strings.Contains(out, "- stack.web") {
		t.Errorf("undraining plans a removal:\n%s", out)
	}
	berth(0, "apply", dir, "--yes")
	if last := truth("after undraining"); !equalLocks(last, moved) {
		t.Errorf("undraining changed the lock file (a sticky port or host moved):\nbefore %+v\nafter  %+v", moved, last)
	}
}

// equalLocks compares two lock files' web replicas: hosts and ports by index.
func equalLocks(a, b lockFile) bool {
	ra, rb := a.Stacks["web"].Replicas, b.Stacks["web"].Replicas
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		if ra[i].Index != rb[i].Index || ra[i].Host != rb[i].Host || ra[i].Ports["http"] != rb[i].Ports["http"] {
			return false
		}
	}
	return true
}
