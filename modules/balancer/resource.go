package balancer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// The configuration's operations. OpWrite validates the new file with haproxy -c, replaces
// the live one and reloads; OpReload checks the live file and reloads, so that HAProxy reads
// a certificate that changed under an unchanged configuration.
const (
	OpWrite  = "write"
	OpReload = "reload"
)

// ConfigAddress is the address of the configuration resource on a host.
const ConfigAddress = "balancer.haproxy.cfg"

// candidatePath is where a new configuration waits for haproxy -c, beside the live one (same
// file system, same relative paths).
const candidatePath = ConfigPath + ".berth-new"

// Service is the systemd unit of the packaged HAProxy.
const Service = "haproxy"

const (
	fileMode  = 0o644
	fileOwner = "root"
)

// ConfigResource is HAProxy's configuration file on one host. It applies in the balance phase
// (modules.PhaseBalance): after new replicas run healthy everywhere, before old ones stop.
type ConfigResource struct {
	content []byte
	certs   []string // addresses of the certificates the configuration names
}

var (
	_ modules.Resource  = (*ConfigResource)(nil)
	_ modules.Phased    = (*ConfigResource)(nil)
	_ modules.Dependent = (*ConfigResource)(nil)
)

// NewConfig returns the resource that installs content (from Render) as the live
// configuration; certs are the addresses of the CertResources it names, whose change
// reloads HAProxy.
func NewConfig(content []byte, certs ...string) *ConfigResource {
	return &ConfigResource{content: append([]byte(nil), content...), certs: certs}
}

// DependsOn implements modules.Dependent.
func (r *ConfigResource) DependsOn() []string { return r.certs }

// Notify implements modules.Dependent: a new certificate is read at the next reload, which a
// configuration write does anyway; an unchanged configuration gets a reload of its own.
func (r *ConfigResource) Notify(own []modules.Change, changed []string) []modules.Change {
	if len(own) > 0 {
		return own
	}
	return []modules.Change{{Address: ConfigAddress, Action: modules.Replace, Op: OpReload,
		Reason: "reload HAProxy: changed " + strings.Join(changed, ", ")}}
}

// Address implements modules.Resource.
func (r *ConfigResource) Address() string { return ConfigAddress }

// Phase implements modules.Phased.
func (r *ConfigResource) Phase() int { return modules.PhaseBalance }

// Probes implements modules.Resource: the live file with its content, so that the plan can
// name the servers a change adds and removes.
func (r *ConfigResource) Probes() []modules.Probe {
	return []modules.Probe{modules.ContentProbe(ConfigPath)}
}

// Diff implements modules.Resource.
func (r *ConfigResource) Diff(obs []modules.ProbeResult) []modules.Change {
	o := obs[0]
	c := modules.Change{Address: ConfigAddress, Op: OpWrite, After: summary(r.content, sum(r.content))}
	switch {
	case !o.Exists:
		c.Action = modules.Create
		c.Reason = joinReasons("no configuration yet", serverChanges(nil, r.content))
		return []modules.Change{c}
	case o.IsDir:
		c.Action, c.Reason, c.Before = modules.Replace, "a directory stands where the configuration belongs", "directory"
		return []modules.Change{c}
	}
	why := r.reasons(o)
	if len(why) == 0 {
		return nil
	}
	c.Action, c.Reason = modules.Update, strings.Join(why, "; ")
	c.Before = summary(o.Data, o.SHA256)
	return []modules.Change{c}
}

// reasons says what differs between the live file and the rendered one.
func (r *ConfigResource) reasons(o modules.ProbeResult) []string {
	var why []string
	if o.SHA256 != sum(r.content) {
		why = append(why, contentReasons(o.Data, r.content)...)
	}
	if o.Mode != fileMode || o.Owner != fileOwner || o.Group != fileOwner {
		why = append(why, fmt.Sprintf("mode %04o %s:%s, want %04o root:root", o.Mode, o.Owner, o.Group, fileMode))
	}
	return why
}

// contentReasons explains a content difference: servers added, moved and removed, then
// anything else.
func contentReasons(old, new []byte) []string {
	if old == nil { // the transport did not return the content (too large)
		return []string{"content differs"}
	}
	why := serverChanges(old, new)
	if !bytes.HasPrefix(old, []byte(headerPrefix)) {
		return append([]string{"replaces a configuration berth did not write"}, why...)
	}
	if withoutServers(old) != withoutServers(new) {
		why = append(why, "frontends or settings differ")
	}
	if len(why) == 0 {
		why = append(why, "content differs (comments or spacing)")
	}
	return why
}

func joinReasons(first string, rest []string) string {
	return strings.Join(append([]string{first}, rest...), "; ")
}

// summary describes a configuration for a plan: its counts and short hash.
func summary(cfg []byte, hash string) string {
	if len(hash) > 12 {
		hash = hash[:12]
	}
	return fmt.Sprintf("%s, sha256:%s", counts(cfg), hash)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Apply implements modules.Resource: validate the candidate with haproxy -c beside the live
// file, and only then replace the live file (atomically) and reload HAProxy. A rejected
// candidate leaves the live file and the running HAProxy untouched.
func (r *ConfigResource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	switch c.Op {
	case OpWrite:
	case OpReload:
		return checkAndReload(ctx, h)
	default:
		return fmt.Errorf("balancer configuration on %s: unknown operation %q", h.Name(), c.Op)
	}
	if err := r.check(ctx, h); err != nil {
		return err
	}
	if err := h.WriteFile(ctx, r.write(ConfigPath)); err != nil {
		return fmt.Errorf("write %s on %s: %w", ConfigPath, h.Name(), err)
	}
	return reload(ctx, h)
}

func (r *ConfigResource) write(path string) modules.FileWrite {
	return modules.FileWrite{Path: path, Content: r.content, Mode: fileMode, Owner: fileOwner, Group: fileOwner, MkdirParents: true}
}

// check writes the candidate, runs haproxy -c on it and removes it again.
func (r *ConfigResource) check(ctx context.Context, h modules.Host) error {
	if err := h.WriteFile(ctx, r.write(candidatePath)); err != nil {
		return fmt.Errorf("write %s on %s: %w", candidatePath, h.Name(), err)
	}
	res, err := h.Run(ctx, modules.Command{Argv: CheckArgv(candidatePath)})
	_ = modules.Must(ctx, h, []string{"rm", "-f", "--", candidatePath}, "remove "+candidatePath) // best effort
	if err != nil {
		return fmt.Errorf("haproxy -c on %s: %w", h.Name(), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("haproxy -c on %s rejected the new configuration (%s left as it was): exit %d: %s",
			h.Name(), ConfigPath, res.ExitCode, alerts(res))
	}
	return nil
}

// checkAndReload reloads HAProxy once haproxy -c accepts the live configuration with the
// files it names as they now are; a refused one leaves the running HAProxy as it was.
func checkAndReload(ctx context.Context, h modules.Host) error {
	res, err := h.Run(ctx, modules.Command{Argv: CheckArgv(ConfigPath)})
	if err != nil {
		return fmt.Errorf("haproxy -c on %s: %w", h.Name(), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("haproxy -c on %s rejected the configuration with its new certificates (HAProxy not reloaded): exit %d: %s",
			h.Name(), res.ExitCode, alerts(res))
	}
	return reload(ctx, h)
}

// alerts returns HAProxy's [ALERT] lines (what it refused and why) without its [NOTICE]
// lines, else the tail of its output.
func alerts(res modules.Result) string {
	var out []string
	for _, l := range strings.Split(string(res.Stderr)+"\n"+string(res.Stdout), "\n") {
		if strings.Contains(l, "[ALERT]") && len(out) < 5 {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) == 0 {
		return modules.Tail(res.Stderr, res.Stdout)
	}
	return strings.Join(out, " | ")
}

// reload makes a running HAProxy load the new file without dropping connections (the new
// process takes the listening sockets over; the old one finishes its connections), or starts
// HAProxy when it is not running. It never restarts.
func reload(ctx context.Context, h modules.Host) error {
	res, err := h.Run(ctx, modules.Command{Argv: []string{"systemctl", "is-active", "--quiet", "--", Service}})
	if err != nil {
		return fmt.Errorf("systemctl is-active %s on %s: %w", Service, h.Name(), err)
	}
	op := "reload"
	if res.ExitCode != 0 {
		op = "start"
	}
	return modules.Must(ctx, h, []string{"systemctl", op, "--", Service}, "systemctl "+op+" "+Service)
}
