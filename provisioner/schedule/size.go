package schedule

import (
	"math"
	"strconv"
)

// millis converts cores to thousandths of a core, so that sums are exact.
func millis(cpus float64) int64 { return int64(math.Round(cpus * 1000)) }

// humanBytes prints a size in the largest binary unit that keeps it >= 1, one decimal at
// one decimal at most: "2 GiB", "1.1 GiB", "512 MiB".
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(n)
	u := 0
	for math.Abs(v) >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return trimFloat(math.Round(v*10)/10) + " " + units[u]
}

// humanCPUs prints thousandths of a core as cores: "2", "0.5", "1.25".
func humanCPUs(m int64) string { return trimFloat(float64(m) / 1000) }

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
