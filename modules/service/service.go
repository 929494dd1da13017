// Package service manages a systemd unit: enabled or not, running or stopped, and restarted
// (or reloaded) only when something it depends on changed in the same apply.
package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// Spec is the desired state of one unit.
type Spec struct {
	Name    string
	Enabled *bool  // nil leaves it as is
	State   string // "running", "stopped", or "" to leave it as is
	// DependsOn lists resource addresses whose change restarts (or reloads) the unit.
	DependsOn []string
	Reload    bool
}

// Operations of a unit's changes: systemctl's verbs (reload runs reload-or-restart).
const (
	opEnable  = "enable"
	opDisable = "disable"
	opStart   = "start"
	opStop    = "stop"
	opRestart = "restart"
	opReload  = "reload"
)

// Resource manages one systemd unit.
type Resource struct{ spec Spec }

var (
	_ modules.Resource  = (*Resource)(nil)
	_ modules.Dependent = (*Resource)(nil)
)

// New returns the resource for s.
func New(s Spec) *Resource { return &Resource{spec: s} }

// Address implements modules.Resource.
func (r *Resource) Address() string { return "service." + r.spec.Name }

// Probes implements modules.Resource.
func (r *Resource) Probes() []modules.Probe {
	return []modules.Probe{modules.CmdProbe("systemctl", "show", "--property=LoadState,ActiveState,UnitFileState", "--", r.spec.Name)}
}

// State is what systemd reports of a unit.
type State struct {
	Load, Active, UnitFile string
}

// Parse reads `systemctl show` KEY=VALUE output.
func Parse(out []byte) State {
	var s State
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "LoadState":
			s.Load = v
		case "ActiveState":
			s.Active = v
		case "UnitFileState":
			s.UnitFile = v
		}
	}
	return s
}

// Diff implements modules.Resource.
func (r *Resource) Diff(obs []modules.ProbeResult) []modules.Change {
	st := Parse(obs[0].Stdout)
	var out []modules.Change
	add := func(a modules.Action, op, reason, before, after string) {
		out = append(out, modules.Change{Address: r.Address(), Action: a, Op: op, Reason: reason, Before: before, After: after})
	}
	notLoaded := st.Load != "loaded"
	if e := r.spec.Enabled; e != nil {
		enabled := st.UnitFile == "enabled" || st.UnitFile == "enabled-runtime"
		switch {
		case *e && (notLoaded || !enabled):
			add(modules.Update, opEnable, "unit is "+orUnknown(st.UnitFile, notLoaded), st.UnitFile, "enabled")
		case !*e && !notLoaded && enabled:
			add(modules.Update, opDisable, "unit is enabled", st.UnitFile, "disabled")
		}
	}
	active := st.Active == "active" || st.Active == "reloading" || st.Active == "activating"
	switch {
	case r.spec.State == "running" && (notLoaded || !active):
		add(modules.Update, opStart, "unit is "+orUnknown(st.Active, notLoaded), st.Active, "active")
	case r.spec.State == "stopped" && !notLoaded && active:
		add(modules.Update, opStop, "unit is "+st.Active, st.Active, "inactive")
	}
	return out
}

func orUnknown(s string, notLoaded bool) string {
	if notLoaded {
		return "not installed yet"
	}
	if s == "" {
		return "unknown"
	}
	return s
}

// DependsOn implements modules.Dependent.
func (r *Resource) DependsOn() []string { return r.spec.DependsOn }

// Notify implements modules.Dependent: a restart (or reload) replaces a plain start, since a
// unit that was not running when observed (often: not installed yet) may be running with the
// old configuration by the time its turn comes; restart covers both. Enabling and disabling
// are kept. A unit the inventory wants stopped is never restarted: it reads its new
// configuration when it next starts.
func (r *Resource) Notify(own []modules.Change, changed []string) []modules.Change {
	if r.spec.State == "stopped" {
		return own
	}
	out := make([]modules.Change, 0, len(own)+1)
	for _, c := range own {
		if c.Op != opStart {
			out = append(out, c)
		}
	}
	op := opRestart
	if r.spec.Reload {
		op = opReload
	}
	return append(out, modules.Change{
		Address: r.Address(), Action: modules.Replace, Op: op,
		Reason: "changed: " + strings.Join(changed, ", "),
	})
}

// Apply implements modules.Resource.
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	switch c.Op {
	case opEnable, opDisable, opStart, opStop, opRestart:
	case opReload:
		c.Op = "reload-or-restart"
	default:
		return fmt.Errorf("service %s: unknown operation %q", r.spec.Name, c.Op)
	}
	return modules.Must(ctx, h, []string{"systemctl", c.Op, "--", r.spec.Name}, "systemctl "+c.Op+" "+r.spec.Name)
}
