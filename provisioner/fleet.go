package provisioner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// HostOutcome is how one host ended in a fleet run.
type HostOutcome struct {
	Host    string
	Err     error
	Elapsed time.Duration
}

// EachHost runs fn for every host, at most parallel at a time (default 10). Everything fn
// does for one host happens in order inside that call; a failing host does not stop the
// others. Outcomes are sorted by host name. Cancelling ctx stops hosts not yet started:
// they end with ctx's error.
func EachHost(ctx context.Context, hosts []string, parallel int, fn func(ctx context.Context, host string) error) []HostOutcome {
	if parallel <= 0 {
		parallel = 10
	}
	names := append([]string(nil), hosts...)
	sort.Strings(names)
	out := make([]HostOutcome, len(names))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		out[i].Host = name
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i].Err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			start := time.Now()
			out[i].Err = fn(ctx, name)
			out[i].Elapsed = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

// FleetSummary is one line for a fleet run ("3 hosts: 2 ok, 1 failed (web-2)") and the
// number of failed hosts.
func FleetSummary(outcomes []HostOutcome) (string, int) {
	var failed []string
	for _, o := range outcomes {
		if o.Err != nil {
			failed = append(failed, o.Host)
		}
	}
	s := fmt.Sprintf("%d host(s): %d ok", len(outcomes), len(outcomes)-len(failed))
	if len(failed) > 0 {
		s += fmt.Sprintf(", %d failed (%s)", len(failed), strings.Join(failed, ", "))
	}
	return s, len(failed)
}
