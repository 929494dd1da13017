package inventory

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"8GiB", 8 << 30, true}, {"512MiB", 512 << 20, true}, {"1.5GB", 1500000000, true},
		{"1024", 1024, true}, {"64 KiB", 64 << 10, true}, {"8 gigs", 0, false}, {"-1GiB", 0, false},
		{"", 0, false}, {"1e400", 0, false}, {"NaNGiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true}, {"1m30s", 90 * time.Second, true}, {"90", 0, false},
		{"0s", 0, false}, {"-5s", 0, false}, {"soon", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in   string
		want PortRange
		ok   bool
	}{
		{"20000-29999", PortRange{20000, 29999}, true}, {"8080", PortRange{8080, 8080}, true},
		{"2-1", PortRange{}, false}, {"0-10", PortRange{}, false}, {"1-65536", PortRange{}, false}, {"a-b", PortRange{}, false},
	}
	for _, tt := range tests {
		got, err := parsePortRange(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parsePortRange(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	good := []string{"10.0.0.1", "app-1.example.net", "fe80::1", "[fe80::1%eth0]", "h_1"}
	bad := []string{"", "-oProxyCommand=x", "a b", "a\nb", "host;rm", "$(id)", "a\x00"}
	for _, a := range good {
		if msg := checkAddress(a); msg != "" {
			t.Errorf("%q rejected: %s", a, msg)
		}
	}
	for _, a := range bad {
		if checkAddress(a) == "" {
			t.Errorf("%q accepted", a)
		}
	}
}
