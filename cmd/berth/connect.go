package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/conn"
)

// connectFlags are the flags of commands that connect to hosts.
type connectFlags struct {
	parallel int
	timeout  time.Duration // whole run
}

func addConnectFlags(fs *flag.FlagSet) *connectFlags {
	c := &connectFlags{}
	fs.IntVar(&c.parallel, "p", 10, "work on at most `N` hosts at once")
	fs.IntVar(&c.parallel, "parallel", 10, "same as -p")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "deadline for the whole run")
	return c
}

// newResolver reads ~/.ssh/config for the user running berth.
func newResolver(e *env, inv *inventory.Inventory) (*conn.Resolver, error) {
	home := e.getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return conn.NewResolver(inv, home, e.getenv)
}

// dialHost connects to one inventory host. Unless the host's transport is "ssh", the
// connection serves through the berth agent, started on first use (docs/agent.md), and
// falls back to plain SSH commands with a warning when the agent cannot run.
func dialHost(ctx context.Context, r *conn.Resolver, h *inventory.Host) (*conn.SSH, error) {
	c, err := dialPlain(ctx, r, h)
	if err == nil {
		useAgent(c, h)
	}
	return c, err
}

// dialPlain connects without the agent, for commands that run one command per host
// (exec, unlock): the agent's start (a script and a Go process on the host, ~15 ms of its
// CPU) would cost more than the one plain session it replaces.
func dialPlain(ctx context.Context, r *conn.Resolver, h *inventory.Host) (*conn.SSH, error) {
	cfg, err := r.Resolve(h)
	if err != nil {
		return nil, err
	}
	return conn.Dial(ctx, cfg)
}

// hostError prints a host's error with its hint, if it has one ("error: ...", "hint: ...").
func hostError(e *env, host string, err error) {
	fmt.Fprintf(e.stderr, "error: %s: %v\n", host, err)
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		fmt.Fprintf(e.stderr, "hint: %s\n", h.Hint())
	}
}

// selectHosts loads the inventory and resolves -l; ok=false when either failed (reported).
func selectHosts(e *env, dir string, f *inventoryFlags) (*inventory.Inventory, []string, bool) {
	inv, ok := loadInventory(e, dir, f)
	if !ok {
		return nil, nil, false
	}
	names, ok := selectLimit(e, inv, f)
	if ok && len(names) == 0 {
		fmt.Fprintln(e.stderr, "error: no host matches the selection")
		return nil, nil, false
	}
	return inv, names, ok
}
