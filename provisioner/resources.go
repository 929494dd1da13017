package provisioner

import (
	"fmt"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/apt"
	"github.com/berth-dev/berth/modules/directory"
	"github.com/berth-dev/berth/modules/docker"
	"github.com/berth-dev/berth/modules/file"
	"github.com/berth-dev/berth/modules/registry"
	"github.com/berth-dev/berth/modules/service"
	"github.com/berth-dev/berth/modules/syslog"
	"github.com/berth-dev/berth/provisioner/facts"
)

// HostLayer returns a host's host-layer resources in apply order: the user's packages,
// directories and files first (they may be what services and Docker need), then Docker,
// syslog, and the user's services last so that they restart after their files change.
func HostLayer(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts) []modules.Resource {
	var rs []modules.Resource
	for i, p := range h.Packages {
		rs = append(rs, apt.New(apt.Spec{Name: packageName(i, p), Names: p.Names, Absent: p.State == "absent"}))
	}
	for _, d := range h.Directories {
		rs = append(rs, directory.New(directory.Spec{Path: d.Path, Mode: d.Mode, Owner: d.Owner, Group: d.Group}))
	}
	for _, fl := range h.Files {
		spec := file.Spec{Path: fl.Path, Content: fl.Content, SHA256: fl.SHA256, Mode: fl.Mode, Owner: fl.Owner, Group: fl.Group, Sensitive: fl.Sensitive}
		if !fl.Held() {
			spec.Produce, spec.Size = fl.Data, fl.Size()
		}
		rs = append(rs, file.New(spec))
	}
	if d := h.Docker; d != nil {
		rs = append(rs, docker.Resources(docker.Spec{
			Source:   d.Source,
			Daemon:   DaemonSettings(d, h.Syslog),
			Platform: docker.Platform{Distro: f.OS.ID, Codename: f.OS.Codename, Arch: f.DebArch()},
		})...)
	}
	if s := h.Syslog; s != nil {
		spec := syslog.Spec{ContainerLogs: s.ContainerLogs, Rotate: s.Rotate}
		if fw := s.Forward; fw != nil {
			spec.Forward = &syslog.Forward{Protocol: fw.Protocol, Host: fw.Host, Port: fw.Port}
		}
		rs = append(rs, syslog.Resources(spec)...)
	}
	rs = append(rs, registryLogins(h)...)
	for _, s := range h.Services {
		rs = append(rs, service.New(service.Spec{Name: s.Name, Enabled: s.Enabled, State: s.State, DependsOn: s.Restart, Reload: s.Reload}))
	}
	return rs
}

// registryLogins returns, per registry block, the CA file the daemon trusts for it (when
// given) and the login, after Docker (the login needs the daemon) and before any stack pulls.
func registryLogins(h *inventory.Host) []modules.Resource {
	var rs []modules.Resource
	for _, r := range h.Registries {
		if r.CACert != nil {
			rs = append(rs, file.New(file.Spec{Path: "/etc/docker/certs.d/" + r.Server + "/ca.crt", Content: r.CACert, Mode: 0o644}))
		}
		rs = append(rs, registry.New(registry.Spec{Server: r.Server, Username: r.Username, Password: r.Password}))
	}
	return rs
}

// packageName names a package resource after its first package, so addresses stay stable
// when blocks are reordered.
func packageName(i int, p *inventory.Package) string {
	if len(p.Names) > 0 {
		return p.Names[0]
	}
	return fmt.Sprintf("%d", i)
}

// DaemonSettings returns daemon.json for a host. When containers log through the syslog driver
// and berth manages rsyslog on the same host, the facility rsyslog routes (local6) is filled in
// unless the inventory sets one: that is what puts each container's lines in its own file. The
// plan shows the resulting file, so nothing is added behind the user's back.
func DaemonSettings(d *inventory.Docker, s *inventory.Syslog) map[string]any {
	out := map[string]any{}
	for k, v := range d.Daemon {
		out[k] = v
	}
	if s == nil || out["log-driver"] != "syslog" {
		return out
	}
	opts := map[string]any{}
	if m, ok := out["log-opts"].(map[string]any); ok {
		for k, v := range m {
			opts[k] = v
		}
	}
	if _, set := opts["syslog-facility"]; !set {
		opts["syslog-facility"] = syslog.DefaultFacility
	}
	out["log-opts"] = opts
	return out
}
