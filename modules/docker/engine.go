package docker

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/apt"
	"github.com/berth-dev/berth/modules/service"
)

// Source says where the engine's packages come from.
const (
	SourceDistro = "distro" // Debian/Ubuntu's docker.io and docker-compose
	SourceDocker = "docker" // Docker's apt repository: docker-ce and the compose plugin
)

// Platform is what the package source depends on, from the host's facts.
type Platform struct {
	Distro   string // os-release ID: "debian", "ubuntu"
	Codename string // "bookworm", "trixie"
	Arch     string // dpkg architecture: "amd64", "arm64"
}

// Spec is the Docker host layer for one host.
type Spec struct {
	Source   string
	Daemon   map[string]any
	Platform Platform
}

// Resources returns the host layer's resources in the order they must apply: repository,
// packages, daemon.json (which restarts dockerd itself when it changes), then the service.
func Resources(s Spec) []modules.Resource {
	var rs []modules.Resource
	pkgs := DistroPackages(s.Platform)
	if s.Source == SourceDocker {
		rs = append(rs, apt.New(apt.Spec{Name: "docker-repo-tools", Names: []string{"ca-certificates", "curl", "gnupg"}}))
		rs = append(rs, RepoResources(s.Platform)...)
		pkgs = []string{"docker-ce", "docker-ce-cli", "containerd.io", "docker-compose-plugin"}
	}
	enabled := true
	rs = append(rs,
		apt.New(apt.Spec{Name: "docker", Names: pkgs}),
		NewDaemon(s.Daemon),
		service.New(service.Spec{Name: "docker", Enabled: &enabled, State: "running"}),
	)
	return rs
}

// DistroPackages are the distribution's packages for Docker and compose. Debian 13 split the
// client out of docker.io into docker-cli (only recommended, and berth installs without
// recommends), so it is named explicitly there.
func DistroPackages(p Platform) []string {
	pkgs := []string{"docker.io", "docker-compose"}
	switch p.Codename {
	case "buster", "bullseye", "bookworm", "focal", "jammy", "noble":
		return pkgs
	}
	if p.Distro == "debian" {
		pkgs = append(pkgs, "docker-cli")
	}
	return pkgs
}

// SourcesPath and KeyPath are where Docker's apt repository is configured.
const (
	SourcesPath = "/etc/apt/sources.list.d/docker.sources"
	KeyPath     = "/etc/apt/keyrings/docker.asc"
	// KeyFingerprint is Docker's release signing key, as Docker publishes it.
	KeyFingerprint = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
)

// RepoURL is Docker's apt repository for a distribution.
func RepoURL(distro string) string {
	if distro == "" {
		distro = "debian"
	}
	return "https://download.docker.com/linux/" + distro
}

// Sources renders the deb822 sources file for Docker's repository.
func Sources(p Platform) []byte {
	return []byte(fmt.Sprintf("# Managed by berth: Docker's apt repository.\nTypes: deb\nURIs: %s\nSuites: %s\nComponents: stable\nArchitectures: %s\nSigned-By: %s\n",
		RepoURL(p.Distro), p.Codename, p.Arch, KeyPath))
}

// KeyScript fetches Docker's signing key on the host and installs it only when its
// fingerprint is the published one; the URL and paths are fixed, nothing user-supplied.
func KeyScript(distro string) string {
	return strings.Join([]string{
		"set -eu",
		"tmp=$(mktemp)",
		"trap 'rm -f \"$tmp\"' EXIT",
		"curl -fsSL --retry 3 " + modules.Quote(RepoURL(distro)+"/gpg") + " -o \"$tmp\"",
		"gpg --show-keys --with-colons \"$tmp\" | grep -q " + modules.Quote("^fpr:*:*:*:*:*:*:*:*:"+KeyFingerprint+":") +
			" || { echo 'downloaded key does not have fingerprint " + KeyFingerprint + "' >&2; exit 1; }",
		"install -d -m 0755 /etc/apt/keyrings",
		"install -m 0644 \"$tmp\" " + KeyPath,
	}, "\n") + "\n"
}
