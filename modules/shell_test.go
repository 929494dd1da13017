package modules

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":            "''",
		"plain":       "plain",
		"/etc/a.conf": "/etc/a.conf",
		"a b":         "'a b'",
		"it's":        `'it'\''s'`,
		"$HOME":       "'$HOME'",
		"*":           "'*'",
		"a\nb":        "'a\nb'",
		"~root":       "'~root'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestQuoteArgvRoundTrip has a real shell print each word back: what it sees must be argv.
func TestQuoteArgvRoundTrip(t *testing.T) {
	argv := []string{"", "a b", "it's", "$(id)", "`id`", "*", "x\ny", `back\slash`, "-n", "\"dq\"", "é ü", ";|&<>"}
	out, err := exec.Command("sh", "-c", "for a in "+QuoteArgv(argv)+`; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	start := 0
	for i, b := range out {
		if b == 0 {
			got = append(got, string(out[start:i]))
			start = i + 1
		}
	}
	if len(got) != len(argv) {
		t.Fatalf("shell saw %d words %q, want %d", len(got), got, len(argv))
	}
	for i := range argv {
		if got[i] != argv[i] {
			t.Errorf("word %d: shell saw %q, want %q", i, got[i], argv[i])
		}
	}
}
