package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// DaemonPath is where dockerd reads its settings.
const DaemonPath = "/etc/docker/daemon.json"

// Daemon manages daemon.json and restarts dockerd when it changes.
type Daemon struct {
	settings map[string]any
	content  []byte
}

var _ modules.Resource = (*Daemon)(nil)

// NewDaemon returns the resource for settings (JSON-compatible values).
func NewDaemon(settings map[string]any) *Daemon {
	return &Daemon{settings: settings, content: Render(settings)}
}

// Render encodes settings as daemon.json: sorted keys, two-space indent, trailing newline.
func Render(settings map[string]any) []byte {
	if settings == nil {
		settings = map[string]any{}
	}
	b, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		// Settings come from HCL values converted to JSON types; they always encode.
		panic(fmt.Sprintf("daemon.json: %v", err))
	}
	return append(b, '\n')
}

// Address implements modules.Resource.
func (d *Daemon) Address() string { return "docker.daemon" }

// Probes implements modules.Resource.
func (d *Daemon) Probes() []modules.Probe {
	return []modules.Probe{modules.ContentProbe(DaemonPath)}
}

// Diff implements modules.Resource. Settings are compared as JSON values, so a file that was
// only reformatted is not drift; the reason names the settings that differ.
func (d *Daemon) Diff(obs []modules.ProbeResult) []modules.Change {
	o := obs[0]
	c := modules.Change{Address: d.Address(), Op: "write", After: summary(d.settings), Observed: previous(o)}
	if !o.Exists {
		c.Action, c.Reason = modules.Create, DaemonPath+" is missing; dockerd will be restarted"
		return []modules.Change{c}
	}
	var got map[string]any
	if err := json.Unmarshal(o.Data, &got); err != nil {
		c.Action, c.Reason, c.Before = modules.Update, DaemonPath+" is not valid JSON; dockerd will be restarted", "invalid JSON"
		return []modules.Change{c}
	}
	want := normalise(d.settings)
	if reflect.DeepEqual(got, want) {
		return nil
	}
	c.Action = modules.Update
	c.Before = summary(got)
	c.Reason = "settings differ: " + strings.Join(diffKeys("", got, want), ", ") + "; dockerd will be restarted"
	return []modules.Change{c}
}

// normalise round-trips settings through JSON so they compare with what was read.
func normalise(v map[string]any) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(Render(v), &out)
	return out
}

// diffKeys lists the dotted keys whose values differ between got and want.
func diffKeys(prefix string, got, want map[string]any) []string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		g, w := got[k], want[k]
		if reflect.DeepEqual(g, w) {
			continue
		}
		gm, gok := g.(map[string]any)
		wm, wok := w.(map[string]any)
		if gok && wok {
			out = append(out, diffKeys(prefix+k+".", gm, wm)...)
			continue
		}
		switch {
		case g == nil:
			out = append(out, fmt.Sprintf("%s%s added", prefix, k))
		case w == nil:
			out = append(out, fmt.Sprintf("%s%s removed", prefix, k))
		default:
			out = append(out, fmt.Sprintf("%s%s %s -> %s", prefix, k, compact(g), compact(w)))
		}
	}
	sort.Strings(out)
	return out
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func summary(m map[string]any) string {
	b, _ := json.Marshal(m) // encoding/json sorts map keys
	return string(b)
}

// previous is the daemon.json the plan observed, which a failed restart puts back.
type previous modules.ProbeResult

// Apply implements modules.Resource: validate, write, restart, and roll back to the file the
// plan observed if dockerd does not come back.
func (d *Daemon) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	old, ok := c.Observed.(previous)
	if !ok {
		return fmt.Errorf("%s on %s: the change carries no observation of the live file: plan again", DaemonPath, h.Name())
	}
	if det, ok := h.(modules.Detacher); ok && det.CanDetach() {
		// Written but not restarted, dockerd would not run what the file says, and no plan
		// would notice: the host carries the change to its end on its own.
		data, err := json.Marshal(daemonJob{Content: d.content, Old: old.Data, OldMode: old.Mode, OldExists: old.Exists})
		if err != nil {
			return err
		}
		return det.Detach(ctx, modules.Job{Kind: JobKind, Title: "docker.daemon " + c.Op, Data: data})
	}
	return d.apply(ctx, h, old)
}

// JobKind names docker.daemon jobs for the agent's registry.
const JobKind = "docker.daemon"

// daemonJob is a daemon.json change as the host carries it out (see modules.Detacher).
type daemonJob struct {
	Content   []byte      `json:"content"`
	Old       []byte      `json:"old,omitempty"`
	OldMode   fs.FileMode `json:"old_mode,omitempty"`
	OldExists bool        `json:"old_exists,omitempty"`
}

// RunJob carries out a daemon.json change on host h (the host itself, in the agent's job).
func RunJob(ctx context.Context, h modules.Host, data []byte) error {
	var j daemonJob
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("docker.daemon job: %w", err)
	}
	d := &Daemon{content: j.Content}
	return d.apply(ctx, h, previous{Exists: j.OldExists, Data: j.Old, Mode: j.OldMode})
}

// apply validates, writes, restarts, and puts the previous file back if dockerd does not
// come back.
func (d *Daemon) apply(ctx context.Context, h modules.Host, old previous) error {
	if err := d.validate(ctx, h); err != nil {
		return err
	}
	if err := h.WriteFile(ctx, modules.FileWrite{Path: DaemonPath, Content: d.content, Mode: 0o644, MkdirParents: true}); err != nil {
		return fmt.Errorf("write %s: %w", DaemonPath, err)
	}
	restartErr := restart(ctx, h)
	if restartErr == nil {
		return nil
	}
	// dockerd refused the new settings: put the previous file back and bring it up again,
	// even if the run was interrupted meanwhile (a half-done restore leaves Docker down).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var err error
	if old.Exists {
		err = h.WriteFile(ctx, modules.FileWrite{Path: DaemonPath, Content: old.Data, Mode: old.Mode, MkdirParents: true})
	} else {
		err = modules.Must(ctx, h, []string{"rm", "-f", "--", DaemonPath}, "remove "+DaemonPath)
	}
	if err != nil {
		return fmt.Errorf("%w; restoring the previous %s failed too: %v", restartErr, DaemonPath, err)
	}
	if err := restart(ctx, h); err != nil {
		return fmt.Errorf("%w; the previous %s is back but dockerd did not restart: %v", restartErr, DaemonPath, err)
	}
	return fmt.Errorf("%w; the previous %s was restored and dockerd runs on it", restartErr, DaemonPath)
}

// validate asks dockerd to check the new settings before they replace the live file, on
// versions that have --validate (Docker 23 and later); older ones rely on the rollback.
func (d *Daemon) validate(ctx context.Context, h modules.Host) error {
	tmp := "/etc/docker/.berth-validate.json"
	if err := h.WriteFile(ctx, modules.FileWrite{Path: tmp, Content: d.content, Mode: 0o600, MkdirParents: true}); err != nil {
		return fmt.Errorf("stage daemon.json for validation: %w", err)
	}
	defer h.Run(context.WithoutCancel(ctx), modules.Command{Argv: []string{"rm", "-f", "--", tmp}})
	res, err := h.Run(ctx, modules.Command{Argv: []string{"dockerd", "--validate", "--config-file", tmp}})
	if err != nil {
		return fmt.Errorf("validate daemon.json on %s: %w", h.Name(), err)
	}
	if res.ExitCode == 0 {
		return nil
	}
	out := string(res.Stderr) + string(res.Stdout)
	if strings.Contains(out, "unknown flag") || res.ExitCode == 127 {
		return nil
	}
	return fmt.Errorf("daemon.json rejected by dockerd --validate on %s (the live file was not touched): %s", h.Name(), modules.Tail(res.Stderr, res.Stdout))
}

// restart restarts dockerd and waits until it answers. A previous failed start may have hit
// systemd's start limit; reset-failed clears it so the restart is really attempted.
func restart(ctx context.Context, h modules.Host) error {
	h.Run(ctx, modules.Command{Argv: []string{"systemctl", "reset-failed", "docker"}})
	res, err := h.Run(ctx, modules.Command{Argv: []string{"systemctl", "restart", "docker"}})
	if err != nil {
		return fmt.Errorf("restart docker on %s: %w", h.Name(), err)
	}
	if res.ExitCode == 0 {
		res, err = h.Run(ctx, modules.Command{Argv: []string{"docker", "info", "--format", "{{.ServerVersion}}"}})
		if err == nil && res.ExitCode == 0 {
			return nil
		}
	}
	why := modules.Tail(res.Stderr, res.Stdout)
	logs, _ := h.Run(ctx, modules.Command{Argv: []string{"journalctl", "-u", "docker", "-n", "5", "--no-pager", "-o", "cat"}})
	return fmt.Errorf("dockerd did not come back on %s: %s (journal: %s)", h.Name(), why, modules.Tail(bytes.TrimSpace(logs.Stdout)))
}
