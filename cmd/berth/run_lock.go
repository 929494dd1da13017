package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/agent"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

// lostRunWait bounds how long an apply waits for a host that is finishing, on its own, the
// change of a berth that went away (its lock is released when that change ends).
const lostRunWait = 10 * time.Minute

// newRunID names this run in the hosts' journals: sortable by time, unique.
func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// lockHost takes a host's lock for one phase of the run and journals the run's begin on the
// host; the release journals its end first. A lock held by a run whose berth went away, and
// which the host is finishing on its own, is waited for (up to lostRunWait, or --lock-timeout
// when longer) rather than reported busy.
func lockHost(ctx context.Context, c provisioner.Conn, timeout time.Duration, command, run string) (func(), error) {
	opt := hostlock.Options{Timeout: timeout, Command: command, Run: run, Stale: func(hd hostlock.Holder) {
		fmt.Fprintf(agentNotices, "warning: %s: removed the stale lock of %s: that process no longer runs on this machine\n", c.Name(), hd.String())
	}}
	l, err := hostlock.Acquire(ctx, c, opt)
	var busy *hostlock.BusyError
	if errors.As(err, &busy) && busy.Holder != nil && busy.Holder.HostWorks && (busy.Holder.Lost != "" || busy.Holder.Gone()) {
		// Its berth is gone (the agent said so, or it ran here and no longer does), and the
		// host finishes the change in progress on its own.
		l, err = attach(ctx, c, opt, busy.Holder, max(timeout, lostRunWait))
	}
	if err != nil {
		return nil, err
	}
	j, journaled := c.(provisioner.Journaler)
	if journaled {
		hd := l.Holder()
		j.Journal(agent.Entry{Run: run, Event: agent.EventBegin, Who: hd.Who, Command: command, Lock: hd.Token})
	}
	return func() {
		if o, ok := c.(interface{ HostOwnsRun() bool }); ok && o.HostOwnsRun() {
			// A job berth stopped waiting for runs on: the host ends the run and releases
			// the lock once it is done and this berth's session has ended.
			return
		}
		if journaled {
			j.Journal(agent.Entry{Run: run, Event: agent.EventEnd, Text: "berth released the host"})
		}
		l.Release(context.WithoutCancel(ctx))
	}, nil
}

// attach waits for a run the host finishes without its berth, showing its journal as it
// grows, then takes the lock.
func attach(ctx context.Context, c provisioner.Conn, opt hostlock.Options, hd *hostlock.Holder, limit time.Duration) (*hostlock.Lock, error) {
	why := hd.Lost
	if why == "" {
		why = "that process no longer runs on this machine"
	}
	fmt.Fprintf(agentNotices, "%s: the run %s of %s lost its berth (%s); waiting up to %s for the host to finish it:\n",
		c.Name(), hd.Run, hd.Who, why, limit)
	deadline := time.Now().Add(limit)
	shown := 0
	opt.Timeout = 0
	for {
		if p, err := agent.JournalPath(hd.Run); err == nil {
			if res, err := c.Observe(ctx, []modules.Probe{modules.ContentProbe(p)}); err == nil && len(res) == 1 {
				lines := strings.Split(strings.TrimSpace(string(res[0].Data)), "\n")
				for ; shown < len(lines); shown++ {
					var en agent.Entry
					if json.Unmarshal([]byte(lines[shown]), &en) == nil {
						fmt.Fprintf(agentNotices, "%s:   %s\n", c.Name(), entryLine(en))
					}
				}
			}
		}
		l, err := hostlock.Acquire(ctx, c, opt)
		var busy *hostlock.BusyError
		if !errors.As(err, &busy) || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (waiting for the host to finish run %s)", busy, hd.Run)
		case <-time.After(2 * time.Second):
		}
	}
}
