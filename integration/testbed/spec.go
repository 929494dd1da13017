package testbed

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSpec reads a short bed description, "RELEASE[-docker][:N][+registry]", where RELEASE is
// bookworm, trixie or mixed (alternating bookworm and trixie, h1 bookworm) and N defaults to 1:
// "bookworm:2", "mixed-docker:3+registry", "trixie-docker+registry".
func ParseSpec(spec string) (Options, error) {
	var o Options
	rest, reg := strings.CutSuffix(spec, "+registry")
	o.Registry = reg
	release, count, hasCount := strings.Cut(rest, ":")
	n := 1
	if hasCount {
		var err error
		if n, err = strconv.Atoi(count); err != nil || n < 1 || n > 200 {
			return o, fmt.Errorf("bed spec %q: host count %q is not a number in 1..200", spec, count)
		}
	}
	release, withDocker := strings.CutSuffix(release, "-docker")
	releases, err := releaseCycle(release)
	if err != nil {
		return o, fmt.Errorf("bed spec %q: %w", spec, err)
	}
	for i := range n {
		o.Hosts = append(o.Hosts, HostSpec{Release: releases[i%len(releases)], Docker: withDocker})
	}
	return o, nil
}

func releaseCycle(release string) ([]string, error) {
	if release == "mixed" {
		return []string{Bookworm, Trixie}, nil
	}
	if err := checkRelease(release); err != nil {
		return nil, err
	}
	return []string{release}, nil
}
