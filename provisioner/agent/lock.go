package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Lock states an answer to OpLock or OpUnlock carries.
const (
	LockAcquired  = "acquired"   // the lock is this request's now
	LockBusy      = "busy"       // another run holds it (Holder: its holder.json)
	LockBusyHost  = "busy-host"  // busy, and the host itself works for that run: never stale
	LockReleased  = "released"   // the lock held Token and is gone
	LockNotLocked = "not-locked" // there was no lock to release
	LockMismatch  = "mismatch"   // the lock holds another token (Holder: its holder.json)
)

// Lock is a host lock request: the lock directory, the holder's token and, to acquire, its
// holder.json. The agent takes and releases the lock itself, in order with the requests
// that follow, with no shell and no command: the same directory protocol as hostlock's
// scripts, which plain SSH still uses.
type Lock struct {
	Dir    string `json:"dir"`
	Token  string `json:"token"`
	Holder []byte `json:"holder,omitempty"`
}

// LockAnswer is how a lock request went.
type LockAnswer struct {
	State  string `json:"state"`
	Holder string `json:"holder,omitempty"` // holder.json of the run holding the lock
	Lost   string `json:"lost,omitempty"`   // lost.json of that run, when the host finishes it
}

// DoLock carries out OpLock or OpUnlock on this host. The agent calls it in order with the
// requests that follow; hostlock's tests call it to check both implementations alike.
func DoLock(op string, l *Lock) (LockAnswer, error) {
	switch op {
	case OpLock:
		return takeLock(l)
	case OpUnlock:
		return releaseLock(l)
	}
	return LockAnswer{}, fmt.Errorf("unknown lock operation %q", op)
}

// takeLock creates the lock directory (0700, parents 0755) and writes the token and holder;
// when it exists, it reports who holds it. A holder may release between the failed mkdir
// and the read: try again then.
func takeLock(l *Lock) (LockAnswer, error) {
	if !filepath.IsAbs(l.Dir) || filepath.Clean(l.Dir) != l.Dir || l.Token == "" || strings.ContainsAny(l.Token, "\n") {
		return LockAnswer{}, fmt.Errorf("lock: bad request (dir %q)", l.Dir)
	}
	if err := mkdirParents(filepath.Dir(l.Dir)); err != nil {
		return LockAnswer{}, fmt.Errorf("lock: %w", err)
	}
	for try := 0; try < 3; try++ {
		err := os.Mkdir(l.Dir, 0o700)
		if err == nil {
			werr := os.WriteFile(filepath.Join(l.Dir, "token"), []byte(l.Token+"\n"), 0o600)
			if werr == nil {
				werr = os.WriteFile(filepath.Join(l.Dir, "holder.json"), l.Holder, 0o600)
			}
			if werr != nil {
				os.RemoveAll(l.Dir)
				return LockAnswer{}, fmt.Errorf("lock: %w", werr)
			}
			return LockAnswer{State: LockAcquired}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return LockAnswer{}, fmt.Errorf("lock: %w", err)
		}
		holder, herr := os.ReadFile(filepath.Join(l.Dir, "holder.json"))
		if errors.Is(herr, os.ErrNotExist) {
			if _, serr := os.Stat(l.Dir); errors.Is(serr, os.ErrNotExist) {
				continue // released meanwhile
			}
		}
		a := LockAnswer{State: LockBusy, Holder: strings.TrimSpace(string(holder))}
		if lost, err := os.ReadFile(filepath.Join(l.Dir, "lost.json")); err == nil {
			a.State, a.Lost = LockBusyHost, strings.TrimSpace(string(lost))
		}
		if jobAlive(filepath.Join(l.Dir, "job.pid")) {
			a.State = LockBusyHost
		}
		return a, nil
	}
	return LockAnswer{}, fmt.Errorf("lock: cannot create %s", l.Dir)
}

// jobAlive: the pid file names a process that runs (EPERM: it runs, as another user).
func jobAlive(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// releaseLock removes the lock directory if it holds l.Token. The rename makes the removal
// atomic for a berth polling the lock.
func releaseLock(l *Lock) (LockAnswer, error) {
	if !filepath.IsAbs(l.Dir) || filepath.Clean(l.Dir) != l.Dir {
		return LockAnswer{}, fmt.Errorf("unlock: bad request (dir %q)", l.Dir)
	}
	if _, err := os.Stat(l.Dir); errors.Is(err, os.ErrNotExist) {
		return LockAnswer{State: LockNotLocked}, nil
	}
	have, _ := os.ReadFile(filepath.Join(l.Dir, "token"))
	if l.Token == "" || strings.TrimSpace(string(have)) != l.Token {
		holder, _ := os.ReadFile(filepath.Join(l.Dir, "holder.json"))
		return LockAnswer{State: LockMismatch, Holder: strings.TrimSpace(string(holder))}, nil
	}
	gone := l.Dir + ".released." + strconv.Itoa(os.Getpid())
	if err := os.Rename(l.Dir, gone); err != nil {
		return LockAnswer{}, fmt.Errorf("unlock: %w", err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return LockAnswer{}, fmt.Errorf("unlock: %w", err)
	}
	return LockAnswer{State: LockReleased}, nil
}
