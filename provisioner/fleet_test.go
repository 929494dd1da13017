package provisioner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEachHostBoundsParallelismAndKeepsGoing(t *testing.T) {
	var running, peak atomic.Int32
	var mu sync.Mutex
	order := map[string][]int{}
	hosts := []string{"c", "a", "e", "b", "d"}
	out := EachHost(context.Background(), hosts, 2, func(_ context.Context, h string) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer running.Add(-1)
		for step := 0; step < 3; step++ {
			mu.Lock()
			order[h] = append(order[h], step)
			mu.Unlock()
		}
		if h == "b" {
			return errors.New("boom")
		}
		return nil
	})
	if peak.Load() > 2 {
		t.Errorf("%d hosts at once, want at most 2", peak.Load())
	}
	for i, want := range []string{"a", "b", "c", "d", "e"} {
		if out[i].Host != want || (out[i].Err != nil) != (want == "b") {
			t.Errorf("outcome %d: %+v", i, out[i])
		}
		if got := order[want]; len(got) != 3 || got[0] != 0 || got[2] != 2 {
			t.Errorf("host %s steps %v, want in order", want, got)
		}
	}
	if s, n := FleetSummary(out); n != 1 || s != "5 host(s): 4 ok, 1 failed (b)" {
		t.Errorf("summary %q, %d", s, n)
	}
}
