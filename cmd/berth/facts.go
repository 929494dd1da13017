package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/conn"
	"github.com/berth-dev/berth/provisioner/facts"
)

func init() {
	register(&command{
		name:    "facts",
		summary: "show the facts gathered from hosts",
		args:    []param{optional("DIR")},
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			f.addSourceFlags(fs)
			cf := addConnectFlags(fs)
			stats := fs.Bool("stats", false, "print connection time and round trips per host on stderr")
			return func(e *env, in invocation) int { return runFacts(e, dirArg(in.args), f, cf, *stats) }
		},
	})
}

// factsRun is one host's facts and what gathering them cost.
type factsRun struct {
	facts *facts.Facts
	stats conn.Stats
	agent string // agentStats
}

func runFacts(e *env, dir string, f *inventoryFlags, cf *connectFlags, stats bool) int {
	if !f.check(e) {
		return exitError
	}
	inv, names, ok := selectHosts(e, dir, f)
	if !ok {
		return exitError
	}
	r, err := newResolver(e, inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	start := time.Now()
	var mu sync.Mutex
	got := map[string]factsRun{}
	outcomes := provisioner.EachHost(ctx, names, cf.parallel, func(ctx context.Context, name string) error {
		c, err := dialHost(ctx, r, inv.Host(name))
		if err != nil {
			return err
		}
		defer c.Close()
		fa, err := facts.Gather(ctx, c)
		if err != nil {
			return err
		}
		mu.Lock()
		got[name] = factsRun{fa, c.Stats(), agentStats(c)}
		mu.Unlock()
		return nil
	})
	return reportFacts(e, outcomes, got, f.json, stats, time.Since(start))
}

func reportFacts(e *env, outcomes []provisioner.HostOutcome, got map[string]factsRun, asJSON, stats bool, wall time.Duration) int {
	list := []*facts.Facts{}
	for _, o := range outcomes {
		if o.Err != nil {
			hostError(e, o.Host, o.Err)
			continue
		}
		list = append(list, got[o.Host].facts)
		if !asJSON {
			writeFacts(e.stdout, got[o.Host].facts)
		}
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(list)
	}
	if stats {
		writeFactsStats(e.stderr, outcomes, got, wall)
	}
	summary, failed := provisioner.FleetSummary(outcomes)
	fmt.Fprintln(e.stderr, summary)
	if failed > 0 {
		return exitError
	}
	return exitOK
}

func writeFactsStats(w io.Writer, outcomes []provisioner.HostOutcome, got map[string]factsRun, wall time.Duration) {
	var trips int64
	for _, o := range outcomes {
		if fr, ok := got[o.Host]; ok {
			trips += fr.stats.RoundTrips
			fmt.Fprintf(w, "stats: %s: connect %v, %d round trip(s), %d bytes sent, %v in all, %s\n", o.Host,
				fr.stats.Connect.Round(time.Millisecond), fr.stats.RoundTrips, fr.stats.BytesOut, o.Elapsed.Round(time.Millisecond), fr.agent)
		}
	}
	fmt.Fprintf(w, "stats: %d host(s), %d round trip(s) after connecting, wall time %v\n", len(outcomes), trips, wall.Round(time.Millisecond))
}

func writeFacts(w io.Writer, f *facts.Facts) {
	fmt.Fprintf(w, "%s\n", f.Host)
	fmt.Fprintf(w, "  os       %s %s (%s), %s, init %s\n", f.OS.ID, f.OS.Version, f.OS.Codename, f.Arch, f.Init)
	fmt.Fprintf(w, "  cpu/mem  %d CPUs, %s memory, %s available\n", f.CPUs, factsBytes(f.Memory.Total), factsBytes(f.Memory.Available))
	fmt.Fprintf(w, "  docker   %s\n", factsDockerLine(f))
	for _, m := range f.Mounts {
		fmt.Fprintf(w, "  disk     %-20s %s free of %s, %d inodes free\n", m.Path, factsBytes(m.Free), factsBytes(m.Size), m.InodesFree)
	}
	ports := make([]string, len(f.Ports))
	for i, p := range f.Ports {
		ports[i] = fmt.Sprint(p)
	}
	fmt.Fprintf(w, "  tcp      listening on %s\n", factsOrNone(strings.Join(ports, ", ")))
	for _, warn := range f.Warnings {
		fmt.Fprintf(w, "  warning  %s\n", warn)
	}
}

func factsDockerLine(f *facts.Facts) string {
	if !f.Docker.Installed {
		return "not installed"
	}
	s := f.Docker.Version
	if f.Docker.Running {
		s += ", daemon running"
	} else {
		s += ", daemon not running"
	}
	if f.Compose.Variant != "" {
		s += fmt.Sprintf(", compose %s %s", f.Compose.Variant, f.Compose.Version)
	} else {
		s += ", no compose"
	}
	return s
}

func factsOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// factsBytes prints bytes in binary units with one decimal.
func factsBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTP"[exp])
}
