package main

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/bench"
)

func rowOf(tool string, n, k int, median time.Duration) row {
	return row{scen: "check", tool: tool, n: n, k: k, sum: bench.Summary{Runs: 1, Median: median, Min: median, Max: median}}
}

func TestPredictSkip(t *testing.T) {
	s := time.Second
	tb := &table{rows: []row{
		rowOf("ansible", 1, 10, 10*s), rowOf("ansible", 10, 10, 28*s), // 8 s + 2 s per host
		rowOf("berth", 1, 10, s),
		{scen: "check", tool: "slow", n: 1, k: 10, note: "failed: timeout"},
	}}
	tests := []struct {
		tool string
		n, k int
		want string // substring; "" means run it
	}{
		{"ansible", 50, 10, ""},            // 8 + 2*50 = 108 s
		{"ansible", 200, 10, "est. 6m48s"}, // 8 + 2*200 = 408 s
		{"ansible", 1, 100, ""},            // 10 s * 10 = 100 s
		{"ansible", 10, 100, ""},           // no K=100 point yet: 28 s * 10 = 280 s
		{"berth", 10, 10, ""},              // one point: run
		{"slow", 10, 10, "did not finish at N=1 K=10"},
		{"new", 10, 10, ""},
	}
	for _, tt := range tests {
		got := tb.predictSkip("check", tt.tool, tt.n, tt.k, 300*s)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("predictSkip(%s, N=%d, K=%d) = %q, want %q", tt.tool, tt.n, tt.k, got, tt.want)
		}
	}
	if got := tb.predictSkip("check", "ansible", 10, 200, 300*s); !strings.Contains(got, "est. 9m20s") {
		t.Errorf("K scaling: got %q, want est. 9m20s (28 s * 20)", got)
	}
}

func TestRatiosPairByPair(t *testing.T) {
	s := time.Second
	tb := &table{rows: []row{rowOf("ref-check", 50, 10, 1*s), rowOf("berth-drift", 50, 10, 2*s), rowOf("ansible-check", 50, 10, 30*s)}}
	var b strings.Builder
	if err := tb.write(&b, options{runs: 1}, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| check | 50 | 10 | 2.00 | ansible-check/berth 15.00 |") {
		t.Errorf("ratio row missing:\n%s", b.String())
	}
}
