package facts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParseOSRelease reads /etc/os-release (shell-style KEY=value, values possibly quoted).
func ParseOSRelease(s string) OS {
	kv := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		} else {
			v = strings.Trim(v, `'"`)
		}
		kv[k] = v
	}
	return OS{ID: kv["ID"], Version: kv["VERSION_ID"], Codename: kv["VERSION_CODENAME"], Name: kv["PRETTY_NAME"]}
}

// ParseMeminfo reads MemTotal and MemAvailable from /proc/meminfo (kB) into bytes.
func ParseMeminfo(s string) Memory {
	var m Memory
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			m.Total = n * 1024
		case "MemAvailable:":
			m.Available = n * 1024
		}
	}
	return m
}

// ParseDf joins `df -kP` (sizes in KiB) and `df -iP` (inodes) by mount point, leaving out
// pseudo mounts (see pseudoMount) but always keeping "/". A mount point may contain spaces:
// it is everything after the fifth field.
func ParseDf(blocks, inodes string) ([]Mount, error) {
	byPath := map[string]*Mount{}
	rows, err := dfRows(blocks)
	if err != nil {
		return nil, fmt.Errorf("df -kP: %w", err)
	}
	for _, r := range rows {
		if r.path == "/" || !pseudoMount(r.dev, r.path) {
			byPath[r.path] = &Mount{Path: r.path, Device: r.dev, Size: r.n[0] * 1024, Free: r.n[2] * 1024}
		}
	}
	irows, err := dfRows(inodes)
	if err != nil {
		return nil, fmt.Errorf("df -iP: %w", err)
	}
	for _, r := range irows {
		if m := byPath[r.path]; m != nil {
			m.Inodes, m.InodesFree = r.n[0], r.n[2]
		}
	}
	out := make([]Mount, 0, len(byPath))
	for _, m := range byPath {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// pseudoMount is a mount that says nothing about room for stacks: memory file systems,
// kernel interfaces, and Docker's own per-container mounts.
func pseudoMount(dev, path string) bool {
	switch dev {
	case "tmpfs", "devtmpfs", "udev", "shm", "none", "overlay", "nsfs", "proc", "sysfs":
		return true
	}
	for _, p := range []string{"/proc", "/sys", "/dev", "/run", "/var/lib/docker/", "/snap/"} {
		if path == p || strings.HasPrefix(path, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

type dfRow struct {
	dev, path string
	n         [3]int64 // total, used, available
}

func dfRows(s string) ([]dfRow, error) {
	var rows []dfRow
	for i, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue // header
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			return nil, fmt.Errorf("line %d: %q", i+1, line)
		}
		r := dfRow{dev: f[0], path: strings.Join(f[5:], " ")}
		for k := 0; k < 3; k++ {
			n, err := strconv.ParseInt(f[k+1], 10, 64)
			if err != nil && f[k+1] != "-" {
				return nil, fmt.Errorf("line %d: %q", i+1, line)
			}
			r.n[k] = n
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// ParseDockerVersion extracts "26.1.5+dfsg1" from "Docker version 26.1.5+dfsg1, build a72d7cd".
func ParseDockerVersion(s string) string {
	f := strings.Fields(s)
	if len(f) >= 3 && f[0] == "Docker" && f[1] == "version" {
		return strings.TrimSuffix(f[2], ",")
	}
	return strings.TrimSpace(s)
}

// ParseListenPorts reads the listenPorts probe: one hex port per line.
func ParseListenPorts(s string) []int {
	set := map[int]bool{}
	for _, line := range strings.Split(s, "\n") {
		if p, err := strconv.ParseUint(strings.TrimSpace(line), 16, 16); err == nil {
			set[int(p)] = true
		}
	}
	return sortedPorts(set)
}

func sortedPorts(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}
