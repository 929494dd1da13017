package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/conn"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

func init() {
	register(&command{
		name:    "unlock",
		summary: "remove a stale host lock",
		args:    []param{required("HOST"), optional("DIR")},
		about:   "Without --id it only shows who holds the lock, and exits 3 when it is held.",
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			f.addSourceFlags(fs)
			id := fs.String("id", "", "the lock id (`TOKEN`) shown by the busy error")
			timeout := fs.Duration("timeout", time.Minute, "deadline for the whole command")
			return func(e *env, in invocation) int {
				return runUnlock(e, in.args[0], dirArg(in.args[1:]), f, *id, *timeout)
			}
		},
	})
}

// runUnlock removes a host's lock given its id. Without an id it only shows who holds it.
func runUnlock(e *env, host, dir string, f *inventoryFlags, id string, timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, ok := dialOneHost(ctx, e, host, dir, f)
	if !ok {
		return exitError
	}
	defer c.Close()
	if id == "" {
		return showLock(e, ctx, c)
	}
	if err := hostlock.Unlock(ctx, c, "", id); err != nil {
		hostError(e, c.Name(), err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s: lock %s removed\n", c.Name(), id)
	return exitOK
}

// showLock prints who holds the lock, read-only, and exits 3 (busy) when it is held.
func showLock(e *env, ctx context.Context, h modules.Host) int {
	hd, err := hostlock.Status(ctx, h, "")
	if err != nil {
		hostError(e, h.Name(), err)
		return exitError
	}
	if hd == nil {
		fmt.Fprintf(e.stdout, "%s: not locked\n", h.Name())
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s: busy, held by %s\n", h.Name(), hd)
	fmt.Fprintf(e.stderr, "hint: if that run is gone: berth unlock %s --id %s\n", h.Name(), hd.Token)
	return exitBusy
}

// dialOneHost loads the inventory and connects to one of its hosts without the agent, for
// the commands that act on one host by name (unlock, runs). Errors are printed; ok is false
// then.
func dialOneHost(ctx context.Context, e *env, host, dir string, f *inventoryFlags) (*conn.SSH, bool) {
	inv, ok := loadInventory(e, dir, f)
	if !ok {
		return nil, false
	}
	h := inv.Host(host)
	if h == nil {
		fmt.Fprintf(e.stderr, "error: no host %q in the inventory\n", host)
		return nil, false
	}
	r, err := newResolver(e, inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return nil, false
	}
	c, err := dialPlain(ctx, r, h)
	if err != nil {
		hostError(e, h.Name, err)
		return nil, false
	}
	return c, true
}
