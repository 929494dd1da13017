package runbook

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

// releaseTimeout bounds releasing a lock on a host that may have gone away.
const releaseTimeout = 30 * time.Second

// LockHost is the default Locker: the per-host lock apply uses, failing at once when
// another berth holds it.
func LockHost(ctx context.Context, h modules.Host, command string) (string, func() error, error) {
	l, err := hostlock.Acquire(ctx, h, hostlock.Options{Command: command})
	if err != nil {
		return "", nil, err
	}
	return l.Holder().Token, releaser(ctx, h, l.Holder().Token), nil
}

func releaser(ctx context.Context, h modules.Host, token string) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		return hostlock.Unlock(ctx, h, "", token)
	}
}

// lockAll takes the lock of every host the runbook touches, in name order, and journals
// their ids; the returned release journals the ones it released, so that status suggests
// berth unlock only for locks really left. On failure the locks taken so far are released. A
// lock left by this same run
// (same id in the journal) whose holder process is gone, as after a crash or a host that
// dropped off the network before the release, is adopted rather than reported busy.
func (r *Runner) lockAll(ctx context.Context, j *Journal, prev map[string]string) (func(), error) {
	lock := r.Lock
	if lock == nil {
		lock = LockHost
	}
	var names []string
	var releases []func() error
	ids := map[string]string{}
	release := func() {
		done := map[string]string{}
		for i := len(releases) - 1; i >= 0; i-- {
			if err := r.release(ctx, names[i], ids[names[i]], releases[i]); err != nil {
				r.printf("warning: lock %s on %s not released: %v (remove it with: berth unlock %s --id %s)\n", ids[names[i]], names[i], err, names[i], ids[names[i]])
				continue
			}
			done[names[i]] = ids[names[i]]
		}
		if len(done) > 0 {
			j.Append(Record{Type: RecReleased, Locks: done})
		}
	}
	command := fmt.Sprintf("berth runbook run %s (run %s)", r.Runbook.Name, j.RunID())
	for _, name := range r.touched() {
		id, rel, err := r.lockOne(ctx, name, command, prev[name], lock)
		if err != nil {
			release()
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		ids[name] = id
		names, releases = append(names, name), append(releases, rel)
	}
	if len(ids) > 0 {
		r.printf("Locked %d hosts for the whole run.\n", len(ids))
	}
	return release, j.Append(Record{Type: RecLocked, Locks: ids})
}

func (r *Runner) lockOne(ctx context.Context, name, command, prevID string, lock Locker) (string, func() error, error) {
	h, err := r.Hosts.Host(ctx, name)
	if err != nil {
		return "", nil, err
	}
	id, rel, err := lock(ctx, h, command)
	var busy *hostlock.BusyError
	if err != nil && errors.As(err, &busy) && r.adoptable(busy.Holder, prevID) {
		r.printf("Taking over %s's lock %s, left by this run's earlier process (pid %d, gone).\n", name, prevID, busy.Holder.PID)
		return prevID, releaser(ctx, h, prevID), nil
	}
	return id, rel, err
}

// adoptable: the lock is this run's (its id is in the journal), taken by this user on this
// machine, by a process that no longer runs.
func (r *Runner) adoptable(hd *hostlock.Holder, prevID string) bool {
	if hd == nil || prevID == "" || hd.Token != prevID {
		return false
	}
	if hd.Boot != "" {
		return hd.Gone()
	}
	me := hostlock.NewHolder("") // a lock written before holders carried a boot id
	return hd.Who == me.Who && hd.PID != os.Getpid() && syscall.Kill(hd.PID, 0) == syscall.ESRCH
}

// release releases one lock. A step that timed out closes its host's connection (see run),
// which the release function may hold: on failure it is tried once more on a new connection.
func (r *Runner) release(ctx context.Context, name, id string, rel func() error) error {
	err := rel()
	if err == nil {
		return nil
	}
	r.Hosts.Forget(name)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	h, herr := r.Hosts.Host(ctx, name)
	if herr != nil {
		return err
	}
	if r.Lock != nil { // a Locker of its own (tests): its release is the only way
		return rel()
	}
	return hostlock.Unlock(ctx, h, "", id)
}
