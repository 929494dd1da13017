package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchPad is the tail of every file of the bench-shaped inventory, as integration/bench
// writes it: files of about 1 KiB, unique per host and file.
var benchPad = strings.Repeat("berth bench payload line. ", 38)

// writeBenchShaped writes the inventory integration/bench gives berth: n host blocks and, for
// each host, k literal file blocks selecting that host alone, all in one main.hcl.
func writeBenchShaped(tb testing.TB, dir string, n, k int) {
	var b strings.Builder
	b.WriteString("defaults {\n  become = false\n  ssh {\n    user = \"root\"\n    port = 2222\n    connect_timeout = \"5m\"\n  }\n}\n\n")
	fmt.Fprintf(&b, "locals {\n  pad = %q\n}\n\n", benchPad)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "host %q {\n  address = %q\n}\n", fmt.Sprintf("host%d", i), fmt.Sprintf("127.0.%d.%d", i/254, i%254+1))
	}
	for i := 1; i <= n; i++ {
		for j := 0; j < k; j++ {
			h := fmt.Sprintf("host%d", i)
			fmt.Fprintf(&b, "\nfile %q {\n  hosts   = %q\n  content = \"%s file f%03d\\n${local.pad}\"\n  mode    = \"0644\"\n}\n",
				fmt.Sprintf("/srv/bench/hosts/%s/f%03d", h, j), h, h, j)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// peakHeap samples the bytes of live and not yet collected heap objects every millisecond
// until stop is called, and returns the highest value seen. runtime/metrics reads it without
// stopping the world, so the sampling hardly disturbs what it measures.
func peakHeap() (stop func() uint64) {
	done, result := make(chan struct{}), make(chan uint64)
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(done) })
		return <-result
	}
}

// cpuTime is the CPU time the process has used, user and system: on a shared machine a
// steadier measure of a load's work than the time it took.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadBenchShaped loads the benchmark's inventory and reports, besides time, the
// peak heap during the load, what stays live after it (MB) and the CPU time it used (all
// goroutines, the collector's too), without and with the soft memory limit the berth binary
// sets. It keeps the loader's memory checked: compare with docs/performance.md, do not
// assert on it.
func BenchmarkLoadBenchShaped(b *testing.B) {
	for _, size := range []struct{ n, k int }{{200, 100}, {1000, 10}, {1000, 100}} {
		dir := b.TempDir()
		writeBenchShaped(b, dir, size.n, size.k)
		for _, limit := range []int64{0, 100 << 20} {
			name := fmt.Sprintf("N=%d/K=%d/limit=%dMiB", size.n, size.k, limit>>20)
			b.Run(name, func(b *testing.B) {
				if limit > 0 {
					defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
				}
				var peak, live uint64
				var cpu time.Duration
				for i := 0; i < b.N; i++ {
					runtime.GC()
					stop, cpu0 := peakHeap(), cpuTime()
					inv, diags := Load(dir, Options{})
					peak = max(peak, stop())
					cpu += cpuTime() - cpu0
					if diags.HasErrors() || len(inv.Hosts) != size.n {
						b.Fatalf("load: %d hosts: %s", len(inv.Hosts), describe(diags))
					}
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					live = ms.HeapAlloc
					runtime.KeepAlive(inv)
				}
				b.ReportMetric(float64(peak)/1e6, "peak-MB")
				b.ReportMetric(float64(live)/1e6, "live-MB")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}
