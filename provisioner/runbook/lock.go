package runbook

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

// LockHost is the default Locker: the per-host lock apply uses, failing at once when
// another berth holds it.
func LockHost(ctx context.Context, h modules.Host, command string) (string, func(), error) {
	l, err := hostlock.Acquire(ctx, h, hostlock.Options{Command: command})
	if err != nil {
		return "", nil, err
	}
	return l.Holder().Token, func() { l.Release(context.WithoutCancel(ctx)) }, nil
}

// lockAll takes the lock of every host the runbook touches, in name order, and journals
// their ids. On failure the locks taken so far are released.
func (r *Runner) lockAll(ctx context.Context, j *Journal) (func(), error) {
	lock := r.Lock
	if lock == nil {
		lock = LockHost
	}
	var releases []func()
	release := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	ids := map[string]string{}
	command := fmt.Sprintf("berth runbook run %s (run %s)", r.Runbook.Name, j.RunID())
	for _, name := range r.touched() {
		h, err := r.Hosts.Host(ctx, name)
		if err == nil {
			var id string
			var rel func()
			if id, rel, err = lock(ctx, h, command); err == nil {
				ids[name] = id
				releases = append(releases, rel)
				continue
			}
		}
		release()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if len(ids) > 0 {
		r.printf("Locked %d hosts for the whole run.\n", len(ids))
	}
	return release, j.Append(Record{Type: RecLocked, Locks: ids})
}
