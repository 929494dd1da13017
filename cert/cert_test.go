package cert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/cert/certtest"
)

func issue(t *testing.T, notAfter time.Time) certtest.Leaf {
	t.Helper()
	ca, err := certtest.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ca.Issue([]string{"web.example.net"}, notAfter.Add(-90*24*time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseBundle(t *testing.T) {
	notAfter := time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)
	l := issue(t, notAfter)
	b, err := Parse(l.Bundle())
	if err != nil {
		t.Fatal(err)
	}
	if !b.NotAfter.Equal(notAfter) || b.Subject != "web.example.net" || len(b.Fingerprint) != 32*3-1 {
		t.Errorf("parsed %+v", b)
	}
	sum := b.Summary()
	if !strings.HasPrefix(sum, "(sensitive), sha256 fingerprint ") || !strings.Contains(sum, "expires 2031-05-06 07:08 UTC (web.example.net)") {
		t.Errorf("summary %q", sum)
	}
	for _, s := range []string{fmt.Sprint(b), fmt.Sprintf("%+v %#v %s", b, b, b.PEM), sum} {
		if strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, keyLine(l.Key)) {
			t.Errorf("the key shows: %s", s)
		}
	}
}

// keyLine is the key's first base64 line.
func keyLine(key []byte) string { return strings.Split(string(key), "\n")[1] }

func TestParseRefuses(t *testing.T) {
	a, b := issue(t, time.Now().Add(time.Hour)), issue(t, time.Now().Add(time.Hour))
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		"not PEM":          {[]byte("hello\n"), "not PEM"},
		"no key":           {a.Cert, "no private key"},
		"no certificate":   {a.Key, "no certificate"},
		"key of another":   {append(append([]byte{}, a.Cert...), b.Key...), "does not match"},
		"two keys":         {append(a.Bundle(), b.Key...), "2 private keys"},
		"broken cert":      {[]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "certificate 1 does not parse"},
		"broken key bytes": {append(append([]byte{}, a.Cert...), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")...), "does not parse as PKCS#8"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), keyLine(a.Key)) || strings.Contains(err.Error(), keyLine(b.Key)) {
				t.Errorf("the error quotes a key: %v", err)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	notAfter := time.Date(2030, 1, 31, 12, 0, 0, 0, time.UTC)
	window := 30 * 24 * time.Hour
	for _, tc := range []struct {
		now  time.Time
		want State
		days string
	}{
		{notAfter.Add(-31 * 24 * time.Hour), Valid, "in 31 days"},
		{notAfter.Add(-30 * 24 * time.Hour), Expiring, "in 30 days"},
		{notAfter.Add(-36 * time.Hour), Expiring, "in 1 day"},
		{notAfter.Add(-time.Minute), Expiring, "within a day"},
		{notAfter, Expiring, "within a day"},
		{notAfter.Add(time.Second), Expired, "less than a day ago"},
		{notAfter.Add(49 * time.Hour), Expired, "2 days ago"},
	} {
		st, left := Status(notAfter, tc.now, window)
		if st != tc.want || Days(left) != tc.days {
			t.Errorf("at %s: %v %q, want %v %q", tc.now, st, Days(left), tc.want, tc.days)
		}
	}
	if st, _ := Status(notAfter, notAfter.Add(-time.Hour), 0); st != Valid {
		t.Errorf("a zero window still warns: %v", st)
	}
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "0d": 0, "720h": 720 * time.Hour, " 7d ": 7 * 24 * time.Hour} {
		if got, err := ParseWindow(in); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "30", "-1d", "thirty days", "1.5d", "-5h"} {
		if _, err := ParseWindow(in); err == nil {
			t.Errorf("ParseWindow(%q) accepted", in)
		}
	}
}
