package testbed

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Labels on everything a bed creates.
const (
	labelBed   = "berth.testbed"       // the bed's prefix
	labelOwner = "berth.testbed.owner" // "<pid>.<start time>" of the process that started it
	labelKeep  = "berth.testbed.keep"  // "1": started by hand, never reaped
)

var bedCount atomic.Int64

// newPrefix names a bed: "bt", this process's pid, a counter (unique within the process) and
// random hex (a later process with the same pid must not collide with a kept bed).
func newPrefix() string {
	b := make([]byte, 2)
	rand.Read(b)
	return fmt.Sprintf("bt%d-%d%s", os.Getpid(), bedCount.Add(1), hex.EncodeToString(b))
}

// ownerID identifies this process; the start time guards against a reused pid.
func ownerID() string {
	return fmt.Sprintf("%d.%s", os.Getpid(), procStart(os.Getpid()))
}

// procStart is field 22 of /proc/PID/stat (start time in clock ticks since boot), "" when the
// process does not exist.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerAlive says whether the process named by an owner label still runs.
func ownerAlive(owner string) bool {
	pidStr, start, ok := strings.Cut(owner, ".")
	pid, err := strconv.Atoi(pidStr)
	if !ok || err != nil {
		return false
	}
	return procStart(pid) == start && start != ""
}

func labelArgs(prefix string, keep bool) []string {
	args := []string{"--label", labelBed + "=" + prefix, "--label", labelOwner + "=" + ownerID()}
	if keep {
		args = append(args, "--label", labelKeep+"=1")
	}
	return args
}
