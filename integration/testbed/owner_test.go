package testbed

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestOwnerAlive(t *testing.T) {
	if !ownerAlive(ownerID()) {
		t.Fatalf("this process (%s) is not seen alive", ownerID())
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := strconv.Itoa(cmd.Process.Pid) + ".1"
	if ownerAlive(dead) {
		t.Errorf("exited process %s seen alive", dead)
	}
	pid, _, _ := strings.Cut(ownerID(), ".")
	if ownerAlive(pid + ".0") {
		t.Error("a reused pid (other start time) is seen alive")
	}
	for _, bad := range []string{"", "x.1", "12"} {
		if ownerAlive(bad) {
			t.Errorf("ownerAlive(%q) = true", bad)
		}
	}
}

func TestNewPrefixIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := newPrefix()
		if !strings.HasPrefix(p, "bt"+strconv.Itoa(os.Getpid())+"-") {
			t.Fatalf("prefix %q does not name this process", p)
		}
		seen[p] = true
	}
	if len(seen) != 50 {
		t.Errorf("only %d distinct prefixes in 50", len(seen))
	}
}
