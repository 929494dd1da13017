package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/provisioner"
	"golang.org/x/term"
)

// progress turns engine events into what a person or a machine reads while berth works:
// JSON lines on stdout with --json, a live per-host view on a terminal, plain lines otherwise.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	json  *json.Encoder
	live  bool
	hosts map[string]string // host -> current status
	order []string
	drawn int
	last  time.Time
	done  map[string]bool
	fail  map[string]bool
}

func newProgress(e *env, jsonOut, plain bool) *progress {
	p := &progress{w: e.stderr, hosts: map[string]string{}, done: map[string]bool{}, fail: map[string]bool{}}
	if jsonOut {
		p.json = json.NewEncoder(e.stdout)
		return p
	}
	if f, ok := e.stderr.(*os.File); ok && !plain && term.IsTerminal(int(f.Fd())) && e.getenv("TERM") != "dumb" && e.getenv("NO_COLOR") == "" {
		p.live = true
	}
	return p
}

// sink is the engine's event sink.
func (p *progress) sink(ev provisioner.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json != nil {
		p.json.Encode(ev)
		return
	}
	line := describe(ev)
	if ev.Host == "" || line == "" || (ev.Type == provisioner.EventOutput && !p.live) {
		return // a job's commands: the live view shows the latest, plain output skips them
	}
	if _, seen := p.hosts[ev.Host]; !seen {
		p.order = append(p.order, ev.Host)
		sort.Strings(p.order)
	}
	p.hosts[ev.Host] = line
	switch ev.Type {
	case provisioner.EventHostDone, provisioner.EventHostSkipped, provisioner.EventObserved:
		p.done[ev.Host] = true
	case provisioner.EventHostFailed:
		p.done[ev.Host], p.fail[ev.Host] = true, true
	}
	if !p.live {
		fmt.Fprintf(p.w, "%s: %s\n", ev.Host, line)
		return
	}
	if time.Since(p.last) > 100*time.Millisecond || p.done[ev.Host] {
		p.redraw()
	}
}

func (p *progress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, h := range p.order {
		fmt.Fprintf(&b, "\x1b[2K%-16s %s\n", h, p.hosts[h])
	}
	fmt.Fprintf(&b, "\x1b[2K%d/%d hosts done, %d failed\n", len(p.done), len(p.order), len(p.fail))
	p.drawn = len(p.order) + 1
	p.last = time.Now()
	io.WriteString(p.w, b.String())
}

// finish draws the final state of the live view and leaves it on screen: whatever is
// printed next (the plan, the summary) goes below it, and a later phase starts a new view.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.drawn > 0 {
		p.redraw()
	}
	p.drawn = 0
	p.hosts, p.order, p.done, p.fail = map[string]string{}, nil, map[string]bool{}, map[string]bool{}
}

func describe(ev provisioner.Event) string {
	switch ev.Type {
	case provisioner.EventConnecting:
		return "connecting to " + ev.Message
	case provisioner.EventConnected:
		return fmt.Sprintf("connected (%.2fs)", ev.Seconds)
	case provisioner.EventObserved:
		return fmt.Sprintf("observed: %s (%.2fs)", ev.Message, ev.Seconds)
	case provisioner.EventChangeStart:
		return fmt.Sprintf("%s %s %s...", ev.Action, ev.Address, ev.Op)
	case provisioner.EventChangeDone:
		return fmt.Sprintf("%s %s %s: done (%.1fs)", ev.Action, ev.Address, ev.Op, ev.Seconds)
	case provisioner.EventChangeFailed:
		return fmt.Sprintf("%s %s %s: FAILED (%.1fs)", ev.Action, ev.Address, ev.Op, ev.Seconds)
	case provisioner.EventHostFailed:
		return "FAILED: " + ev.Error
	case provisioner.EventHostSkipped:
		return "skipped: " + ev.Error
	case provisioner.EventHostDone:
		return "done: " + ev.Message
	case provisioner.EventRollout, provisioner.EventOutput:
		return ev.Message
	}
	return ""
}
