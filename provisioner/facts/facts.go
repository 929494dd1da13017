package facts

// Facts is what a host told us about itself.
type Facts struct {
	Host     string   `json:"host"`
	OS       OS       `json:"os"`
	Arch     string   `json:"arch"` // uname -m, e.g. x86_64
	Init     string   `json:"init"` // "systemd", else the name of PID 1
	CPUs     int      `json:"cpus"`
	Memory   Memory   `json:"memory"`
	Mounts   []Mount  `json:"mounts"` // sorted by mount point
	Docker   Docker   `json:"docker"`
	Compose  Compose  `json:"compose"`
	Ports    []int    `json:"listening_tcp_ports"` // sorted, unique
	Warnings []string `json:"warnings,omitempty"`  // probes that failed, facts left empty
	// Scope is how much was observed (see Probes); facts beyond it are empty, not absent.
	Scope Scope `json:"-"`
}

// OS is from /etc/os-release.
type OS struct {
	ID       string `json:"id"`       // debian, ubuntu...
	Version  string `json:"version"`  // VERSION_ID, e.g. 12
	Codename string `json:"codename"` // bookworm
	Name     string `json:"name"`     // PRETTY_NAME
}

// Memory is from /proc/meminfo, in bytes.
type Memory struct {
	Total     int64 `json:"total"`
	Available int64 `json:"available"`
}

// Mount is one line of df -kP joined with df -iP.
type Mount struct {
	Path       string `json:"path"`
	Device     string `json:"device"`
	Size       int64  `json:"size"`
	Free       int64  `json:"free"` // bytes available to unprivileged users
	Inodes     int64  `json:"inodes"`
	InodesFree int64  `json:"inodes_free"`
}

// Docker is the Docker engine as found on the host.
type Docker struct {
	Installed bool   `json:"installed"`
	Version   string `json:"version,omitempty"` // client version
	Running   bool   `json:"running"`           // the daemon answered
	Server    string `json:"server_version,omitempty"`
	// Swarm is the daemon's swarm state (inactive, pending, active, error, locked) and
	// SwarmManager whether it manages the swarm (docker info's Swarm.ControlAvailable).
	Swarm        string `json:"swarm,omitempty"`
	SwarmManager bool   `json:"swarm_manager,omitempty"`
}

// Compose says which compose command the host has: "v2" (`docker compose`), "v1" (the
// standalone `docker-compose`) or "" (none).
type Compose struct {
	Variant string `json:"variant"`
	Version string `json:"version,omitempty"`
}

// DebArch maps uname -m to Debian's architecture name (what apt repositories use).
func (f *Facts) DebArch() string {
	switch f.Arch {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "armv7l":
		return "armhf"
	case "i686", "i386":
		return "i386"
	}
	return f.Arch
}

// ComposeCommand is the argv prefix that runs compose on the host, nil when it has none.
func (f *Facts) ComposeCommand() []string {
	switch f.Compose.Variant {
	case "v2":
		return []string{"docker", "compose"}
	case "v1":
		return []string{"docker-compose"}
	}
	return nil
}
