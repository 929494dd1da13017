package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/berth-dev/berth/integration/bench"
	"github.com/berth-dev/berth/integration/testbed"
)

type row struct {
	scen, tool string
	n, k       int
	sum        bench.Summary
	note       string
}

// table collects rows in the order they ran (scenario, K, N).
type table struct {
	rows  []row
	loads []string // machine load when each cell started
}

func (t *table) add(r row) { t.rows = append(t.rows, r) }

// predictSkip says why a tool should not run at (N, K), or "". With two smaller N of the same
// K, it extrapolates the line through them (fixed cost plus cost per host); with none, it
// scales the same N's smaller K linearly in K. It skips when the estimate exceeds the
// timeout, or when the tool did not finish a smaller cell.
func (t *table) predictSkip(scen, tool string, n, k int, timeout time.Duration) string {
	var sameK []row
	var sameN *row
	for _, r := range t.rows {
		switch {
		case r.scen != scen || r.tool != tool:
		case r.sum.Runs == 0 && (r.k == k && r.n < n || r.n == n && r.k < k):
			return fmt.Sprintf("skipped: did not finish at N=%d K=%d", r.n, r.k)
		case r.k == k && r.n < n:
			sameK = append(sameK, r)
		case r.n == n && r.k < k:
			sameN = &r
		}
	}
	var est time.Duration
	switch {
	case len(sameK) >= 2:
		a, b := sameK[len(sameK)-2], sameK[len(sameK)-1]
		perHost := float64(b.sum.Median-a.sum.Median) / float64(b.n-a.n)
		est = b.sum.Median + time.Duration(max(perHost, 0)*float64(n-b.n))
	case len(sameK) == 0 && sameN != nil:
		est = time.Duration(float64(sameN.sum.Median) * float64(k) / float64(sameN.k))
	}
	if est > timeout {
		return fmt.Sprintf("skipped: est. %s > timeout %s", est.Round(time.Second), timeout)
	}
	return ""
}

// save writes the table so far to -out, if given.
func (t *table) save(o options) error {
	if o.out == "" {
		return nil
	}
	return t.write(nil, o, 0)
}

func (t *table) write(w io.Writer, o options, total time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %d CPUs, %s memory. Command: %s. Runs per cell: %d (fewer when a tool's runs in a cell passed %s). Total bench time %s.\n\n",
		runtime.NumCPU(), memTotal(), strings.Join(os.Args, " "), o.runs, o.budget, total.Round(time.Second))
	b.WriteString("| scenario | N | K | tool | runs | median s | min s | max s | peak RSS MB | note |\n|---|---:|---:|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range t.rows {
		s := r.sum
		if s.Runs == 0 {
			fmt.Fprintf(&b, "| %s | %d | %d | %s | 0 | | | | | %s |\n", r.scen, r.n, r.k, r.tool, r.note)
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %d | %.3f | %.3f | %.3f | %.1f | %s |\n", r.scen, r.n, r.k, r.tool, s.Runs,
			s.Median.Seconds(), s.Min.Seconds(), s.Max.Seconds(), float64(s.PeakRSSKB)/1024, r.note)
	}
	b.WriteString("\nRatios of medians, same run:\n\n| scenario | N | K | berth/ref | other/berth |\n|---|---:|---:|---:|---|\n")
	for _, g := range t.groups() {
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", g.scen, g.n, g.k, ratio(g.berth, g.ref), g.others())
	}
	b.WriteString("\nMachine load when each cell started (other work shares this machine):\n\n")
	for _, l := range t.loads {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	if w == nil {
		return testbed.WriteFileAtomic(o.out, []byte(b.String()), 0o644)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if o.out != "" {
		return testbed.WriteFileAtomic(o.out, []byte(b.String()), 0o644)
	}
	return nil
}

// group is one (scenario, N, K) with its berth and reference rows picked out.
type group struct {
	scen       string
	n, k       int
	berth, ref bench.Summary
	rest       []row
}

func (g group) others() string {
	var parts []string
	for _, r := range g.rest {
		parts = append(parts, r.tool+"/berth "+ratio(r.sum, g.berth))
	}
	return strings.Join(parts, ", ")
}

func (t *table) groups() []group {
	var out []group
	for _, r := range t.rows {
		if len(out) == 0 || out[len(out)-1].scen != r.scen || out[len(out)-1].n != r.n || out[len(out)-1].k != r.k {
			out = append(out, group{scen: r.scen, n: r.n, k: r.k})
		}
		g := &out[len(out)-1]
		switch {
		case strings.HasPrefix(r.tool, "berth-"):
			g.berth = r.sum
		case strings.HasPrefix(r.tool, "ref-"):
			g.ref = r.sum
		default:
			g.rest = append(g.rest, r)
		}
	}
	return out
}

func ratio(a, b bench.Summary) string {
	if r := bench.Ratio(a, b); r > 0 {
		return fmt.Sprintf("%.2f", r)
	}
	return "-"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Join(strings.Fields(line)[1:], " ")
}
