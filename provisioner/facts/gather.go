package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// probe indexes; Probes and Gather keep them in this order.
const (
	pOSRelease = iota
	pUname
	pNproc
	pMeminfo
	pSystemd
	pInitComm
	pDf
	pDfInodes
	pListen
	pDocker // the Docker probes come last: ScopeBase leaves them out
	pDockerInfo
	pComposeV2
	pComposeV1
	nProbes
)

// listenPorts prints each TCP port something listens on (state 0A), once, in hex. Only the
// ports are needed: shipping the rows (or `ss -Htln`) cost ~150 bytes per listening socket
// on every observation, 150 KB per host on the benchmark's loopback fleet where every host
// sees the 1000 sockets of all the others; a HAProxy host with many frontends pays the same.
// /proc/net/tcp6 is missing when IPv6 is off: awk then exits 2 after printing tcp's ports.
const listenPorts = `$4 == "0A" { split($2, a, ":"); if (!(a[2] in seen)) { seen[a[2]] = 1; print a[2] } }`

// dockerInfoFormat asks the daemon its version and its swarm membership, in the one
// `docker info` facts already run: berth reaches a swarm through a manager that answers.
const dockerInfoFormat = "{{.ServerVersion}} {{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"

// Scope is how much of a host's facts a run needs. Observing only that keeps a run's cost
// on the host to what its plan uses, as Ansible's gather_facts: false does.
type Scope int

const (
	// ScopeNone: nothing the plan builds reads facts (files, directories, packages and
	// services, in an inventory without stacks or balancers).
	ScopeNone Scope = iota
	// ScopeBase: OS, CPUs, memory, mounts, listening ports (placement, the Docker layer).
	ScopeBase
	// ScopeDocker: Base and the Docker engine and compose command (stacks). Each of its four
	// probes starts the Docker CLI: ~13 ms of CPU on the host, and `docker info` asks the
	// daemon.
	ScopeDocker
)

// Probes is the single batch Gather observes for a scope; FromResults reads its results.
func Probes(s Scope) []modules.Probe {
	if s == ScopeNone {
		return nil
	}
	p := make([]modules.Probe, nProbes)
	p[pOSRelease] = modules.ContentProbe("/etc/os-release")
	p[pUname] = modules.CmdProbe("uname", "-m")
	p[pNproc] = modules.CmdProbe("nproc")
	p[pMeminfo] = modules.ContentProbe("/proc/meminfo")
	p[pSystemd] = modules.FileProbe("/run/systemd/system")
	p[pInitComm] = modules.ContentProbe("/proc/1/comm")
	p[pDf] = modules.CmdProbe("df", "-kP")
	p[pDfInodes] = modules.CmdProbe("df", "-iP")
	p[pListen] = modules.CmdProbe("awk", listenPorts, "/proc/net/tcp", "/proc/net/tcp6")
	p[pDocker] = modules.CmdProbe("docker", "--version")
	p[pDockerInfo] = modules.CmdProbe("docker", "info", "--format", dockerInfoFormat)
	p[pComposeV2] = modules.CmdProbe("docker", "compose", "version", "--short")
	p[pComposeV1] = modules.CmdProbe("docker-compose", "version", "--short")
	if s == ScopeBase {
		return p[:pDocker]
	}
	return p
}

// Gather observes a host in one round trip and parses what it saw.
func Gather(ctx context.Context, h modules.Host) (*Facts, error) {
	res, err := h.Observe(ctx, Probes(ScopeDocker))
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	if len(res) != nProbes {
		return nil, fmt.Errorf("gather facts on %s: %d results for %d probes", h.Name(), len(res), nProbes)
	}
	return FromResults(h.Name(), res), nil
}

// FromResults builds Facts from the results of Probes, in order, for any scope (Scope
// says which; facts outside it are left empty). Pure.
func FromResults(host string, r []modules.ProbeResult) *Facts {
	f := &Facts{Host: host}
	if len(r) < pDocker {
		return f
	}
	f.Scope = ScopeBase
	f.OS = ParseOSRelease(string(r[pOSRelease].Data))
	if f.OS.ID == "" {
		f.warn("no /etc/os-release")
	}
	f.Arch = f.cmd(r[pUname], "uname -m")
	fmt.Sscan(f.cmd(r[pNproc], "nproc"), &f.CPUs)
	f.Memory = ParseMeminfo(string(r[pMeminfo].Data))
	f.Init = strings.TrimSpace(string(r[pInitComm].Data))
	if r[pSystemd].IsDir {
		f.Init = "systemd"
	}
	var err error
	if f.Mounts, err = ParseDf(string(r[pDf].Stdout), string(r[pDfInodes].Stdout)); err != nil {
		f.warn(err.Error())
	}
	if r[pListen].Missing {
		f.warn("listening ports unknown: awk not found")
	}
	f.Ports = ParseListenPorts(string(r[pListen].Stdout))
	if len(r) == nProbes {
		f.Scope = ScopeDocker
		f.Docker, f.Compose = parseDocker(r[pDocker], r[pDockerInfo]), parseCompose(r[pComposeV2], r[pComposeV1])
	}
	return f
}

func (f *Facts) warn(s string) { f.Warnings = append(f.Warnings, s) }

func (f *Facts) cmd(r modules.ProbeResult, what string) string {
	if r.ExitCode != 0 {
		f.warn(fmt.Sprintf("%s: exit %d: %s", what, r.ExitCode, strings.TrimSpace(string(r.Stderr))))
		return ""
	}
	return strings.TrimSpace(string(r.Stdout))
}

func parseDocker(version, info modules.ProbeResult) Docker {
	var d Docker
	if version.ExitCode != 0 {
		return d
	}
	d.Installed = true
	d.Version = ParseDockerVersion(string(version.Stdout))
	if info.ExitCode == 0 {
		f := strings.Fields(string(info.Stdout))
		d.Running = true
		if len(f) > 0 {
			d.Server = f[0]
		}
		if len(f) >= 3 {
			d.Swarm, d.SwarmManager = f[1], f[2] == "true"
		}
	}
	return d
}

func parseCompose(v2, v1 modules.ProbeResult) Compose {
	switch {
	case v2.ExitCode == 0:
		return Compose{Variant: "v2", Version: strings.TrimPrefix(strings.TrimSpace(string(v2.Stdout)), "v")}
	case v1.ExitCode == 0:
		return Compose{Variant: "v1", Version: strings.TrimPrefix(strings.TrimSpace(string(v1.Stdout)), "v")}
	}
	return Compose{}
}
