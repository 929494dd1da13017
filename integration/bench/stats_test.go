package bench

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name              string
		walls             []time.Duration
		median, min, max_ time.Duration
	}{
		{"odd", []time.Duration{5 * ms, 1 * ms, 3 * ms}, 3 * ms, 1 * ms, 5 * ms},
		{"even", []time.Duration{4 * ms, 1 * ms, 2 * ms, 8 * ms}, 3 * ms, 1 * ms, 8 * ms},
		{"one", []time.Duration{7 * ms}, 7 * ms, 7 * ms, 7 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var samples []Sample
			for i, w := range tt.walls {
				samples = append(samples, Sample{Wall: w, RSSKB: int64(100 * (i + 1))})
			}
			s := Summarize(samples)
			if s.Median != tt.median || s.Min != tt.min || s.Max != tt.max_ {
				t.Errorf("median/min/max = %v/%v/%v, want %v/%v/%v", s.Median, s.Min, s.Max, tt.median, tt.min, tt.max_)
			}
			if want := int64(100 * len(tt.walls)); s.PeakRSSKB != want || s.Runs != len(tt.walls) {
				t.Errorf("peak RSS %d runs %d, want %d and %d", s.PeakRSSKB, s.Runs, want, len(tt.walls))
			}
			if samples[0].Wall != tt.walls[0] {
				t.Error("Summarize reordered its input")
			}
		})
	}
	if r := Ratio(Summary{Runs: 1, Median: 3 * ms}, Summary{Runs: 1, Median: 2 * ms}); r != 1.5 {
		t.Errorf("Ratio = %v, want 1.5", r)
	}
	if r := Ratio(Summary{Runs: 1, Median: 3 * ms}, Summary{}); r != 0 {
		t.Errorf("Ratio with a missing side = %v, want 0", r)
	}
}
