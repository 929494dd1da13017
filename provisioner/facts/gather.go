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
	pDocker
	pDockerInfo
	pComposeV2
	pComposeV1
	pSS
	pProcTCP
	pProcTCP6
	nProbes
)

// Probes is the single batch Gather observes.
func Probes() []modules.Probe {
	p := make([]modules.Probe, nProbes)
	p[pOSRelease] = modules.ContentProbe("/etc/os-release")
	p[pUname] = modules.CmdProbe("uname", "-m")
	p[pNproc] = modules.CmdProbe("nproc")
	p[pMeminfo] = modules.ContentProbe("/proc/meminfo")
	p[pSystemd] = modules.FileProbe("/run/systemd/system")
	p[pInitComm] = modules.ContentProbe("/proc/1/comm")
	p[pDf] = modules.CmdProbe("df", "-kP")
	p[pDfInodes] = modules.CmdProbe("df", "-iP")
	p[pDocker] = modules.CmdProbe("docker", "--version")
	p[pDockerInfo] = modules.CmdProbe("docker", "info", "--format", "{{.ServerVersion}}")
	p[pComposeV2] = modules.CmdProbe("docker", "compose", "version", "--short")
	p[pComposeV1] = modules.CmdProbe("docker-compose", "version", "--short")
	p[pSS] = modules.CmdProbe("ss", "-Htln")
	// Only the listening rows (state 0A): a busy host lists every connection there, and the
	// whole table would be shipped on every observation (the fallback when ss is missing).
	p[pProcTCP] = modules.CmdProbe("awk", `$4 == "0A"`, "/proc/net/tcp")
	p[pProcTCP6] = modules.CmdProbe("awk", `$4 == "0A"`, "/proc/net/tcp6")
	return p
}

// Gather observes a host in one round trip and parses what it saw.
func Gather(ctx context.Context, h modules.Host) (*Facts, error) {
	res, err := h.Observe(ctx, Probes())
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	if len(res) != nProbes {
		return nil, fmt.Errorf("gather facts on %s: %d results for %d probes", h.Name(), len(res), nProbes)
	}
	return FromResults(h.Name(), res), nil
}

// FromResults builds Facts from the results of Probes, in order. Pure.
func FromResults(host string, r []modules.ProbeResult) *Facts {
	f := &Facts{Host: host}
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
	f.Docker, f.Compose = parseDocker(r[pDocker], r[pDockerInfo]), parseCompose(r[pComposeV2], r[pComposeV1])
	f.Ports = f.ports(r[pSS], r[pProcTCP], r[pProcTCP6])
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

func (f *Facts) ports(ss, tcp, tcp6 modules.ProbeResult) []int {
	if ss.ExitCode == 0 {
		return ParseSS(string(ss.Stdout))
	}
	return ParseProcNetTCP(string(tcp.Stdout) + string(tcp6.Stdout))
}

func parseDocker(version, info modules.ProbeResult) Docker {
	var d Docker
	if version.ExitCode != 0 {
		return d
	}
	d.Installed = true
	d.Version = ParseDockerVersion(string(version.Stdout))
	if info.ExitCode == 0 {
		d.Running, d.Server = true, strings.TrimSpace(string(info.Stdout))
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
