package testbed

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// createNetwork creates the bed's network on a free 10.77.X.0/24 and returns X. Candidates
// start at a pid-derived X so that concurrent processes rarely try the same one; a subnet taken
// in between makes docker refuse ("overlaps"), and the next X is tried.
func createNetwork(ctx context.Context, name, prefix string, keep bool) (int, error) {
	used, err := usedSubnets(ctx)
	if err != nil {
		return 0, err
	}
	first := os.Getpid() % 250
	for i := 0; i < 250; i++ {
		x := 1 + (first+i)%250
		subnet := netip.MustParsePrefix(fmt.Sprintf("10.77.%d.0/24", x))
		if overlapsAny(subnet, used) {
			continue
		}
		args := append([]string{"network", "create", "--subnet", subnet.String()}, labelArgs(prefix, keep)...)
		_, err := docker(ctx, append(args, name)...)
		if err == nil {
			return x, nil
		}
		if !strings.Contains(err.Error(), "overlap") {
			return 0, fmt.Errorf("create network %s: %w", name, err)
		}
	}
	return 0, fmt.Errorf("create network %s: no free subnet in 10.77.0.0/16", name)
}

// usedSubnets lists the IPv4 subnets of all Docker networks.
func usedSubnets(ctx context.Context) ([]netip.Prefix, error) {
	ids, err := docker(ctx, "network", "ls", "-q")
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	args := append([]string{"network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"}, lines(ids)...)
	out, err := docker(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("inspect networks: %w", err)
	}
	var used []netip.Prefix
	for _, f := range strings.Fields(out) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr().Is4() {
			used = append(used, p)
		}
	}
	return used, nil
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if p.Overlaps(u) {
			return true
		}
	}
	return false
}

// addr returns 10.77.X.last.
func addr(x, last int) string { return fmt.Sprintf("10.77.%d.%d", x, last) }
