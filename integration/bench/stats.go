package bench

import (
	"slices"
	"time"
)

// Sample is one timed run of one tool.
type Sample struct {
	Wall  time.Duration
	RSSKB int64 // peak resident set of the largest process of the run (wait4's ru_maxrss)
}

// Summary is what the table shows for one tool in one cell.
type Summary struct {
	Runs             int
	Median, Min, Max time.Duration
	PeakRSSKB        int64  // the largest over the runs
	Note             string // "skipped: ...", "failed: ...", extra counters
}

// Summarize computes the median (mean of the middle two for an even count), min, max and
// peak RSS of samples. It does not change samples' order.
func Summarize(samples []Sample) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	walls := make([]time.Duration, len(samples))
	s := Summary{Runs: len(samples)}
	for i, x := range samples {
		walls[i] = x.Wall
		s.PeakRSSKB = max(s.PeakRSSKB, x.RSSKB)
	}
	slices.Sort(walls)
	s.Min, s.Max = walls[0], walls[len(walls)-1]
	mid := len(walls) / 2
	s.Median = walls[mid]
	if len(walls)%2 == 0 {
		s.Median = (walls[mid-1] + walls[mid]) / 2
	}
	return s
}

// Ratio is a/b of two medians, 0 when either is missing.
func Ratio(a, b Summary) float64 {
	if a.Runs == 0 || b.Runs == 0 || b.Median == 0 {
		return 0
	}
	return float64(a.Median) / float64(b.Median)
}
