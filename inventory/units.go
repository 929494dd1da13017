package inventory

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits maps size suffixes to byte multipliers: binary (KiB) and decimal (KB), as docker does.
var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// parseSize parses "8GiB", "512MiB", "1.5GB" or a plain number of bytes.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) || n*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is not a size: write a number with a unit such as \"512MiB\", \"8GiB\" or \"1.5GB\"", s)
	}
	return int64(n * mult), nil
}

// parseDuration parses a Go duration such as "90s" or "1m30s"; it must be positive.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		hint := ""
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			hint = " (add a unit, for example \"" + s + "s\")"
		}
		return 0, fmt.Errorf("%q is not a duration%s: write a number with a unit such as \"90s\", \"5m\" or \"1m30s\"", s, hint)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return d, nil
}

// parsePortRange parses "20000-29999" (inclusive) or a single port.
func parsePortRange(s string) (PortRange, error) {
	from, to, found := strings.Cut(s, "-")
	if !found {
		to = from
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(from))
	b, err2 := strconv.Atoi(strings.TrimSpace(to))
	if err1 != nil || err2 != nil {
		return PortRange{}, fmt.Errorf("%q is not a port range: write it as \"FROM-TO\", for example \"20000-29999\"", s)
	}
	r := PortRange{From: a, To: b}
	if err := checkPort(a); err != nil {
		return r, err
	}
	if err := checkPort(b); err != nil {
		return r, err
	}
	if a > b {
		return r, fmt.Errorf("port range %q starts after it ends", s)
	}
	return r, nil
}

func checkPort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("port %d is out of range: ports are 1 to 65535", p)
	}
	return nil
}

// Contains reports whether p lies in the range.
func (r PortRange) Contains(p int) bool { return p >= r.From && p <= r.To }

func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.From, r.To) }

// parseBind parses an HAProxy bind address, ":443" or "10.0.0.1:443", and returns the port.
func parseBind(s string) (int, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return 0, fmt.Errorf("%q must be [ADDRESS]:PORT, such as \":443\"", s)
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return 0, fmt.Errorf("%q must end with a port number", s)
	}
	if hasControl(s) || strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q may not contain whitespace or control characters", s)
	}
	return p, checkPort(p)
}
