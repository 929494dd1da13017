package main

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

func init() {
	register(&command{
		name:    "unlock",
		summary: "remove a stale host lock",
		usage:   "HOST [DIR] --id TOKEN",
		run:     runUnlock,
	})
}

// runUnlock removes a host's lock given its id. Without --id it only shows who holds it.
func runUnlock(e *env, args []string) int {
	fs := newFlags(e, "unlock")
	f := addInventoryFlags(fs)
	id := fs.String("id", "", "the lock id (token) shown by the busy error")
	timeout := fs.Duration("timeout", time.Minute, "deadline for the whole command")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) < 1 {
		fs.Usage()
		return exitError
	}
	dir, ok := oneDir(e, "unlock", pos[1:])
	if !ok {
		return exitError
	}
	inv, ok := loadInventory(e, dir, f)
	if !ok {
		return exitError
	}
	h := inv.Host(pos[0])
	if h == nil {
		fmt.Fprintf(e.stderr, "error: no host %q in the inventory\n", pos[0])
		return exitError
	}
	r, err := newResolver(e, inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := dialPlain(ctx, r, h)
	if err != nil {
		hostError(e, h.Name, err)
		return exitError
	}
	defer c.Close()
	if *id == "" {
		return showLock(e, ctx, c)
	}
	if err := hostlock.Unlock(ctx, c, "", *id); err != nil {
		hostError(e, h.Name, err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s: lock %s removed\n", h.Name, *id)
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
