package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnifiedDiff: the diff is the one GNU diff -u prints (apart from its header lines), so
// that patch and people read it the same way.
func TestUnifiedDiff(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	base := lines(30, func(i int) string { return "line " + string(rune('a'+i%26)) + strings.Repeat("x", i%3) })
	for name, tc := range map[string][2]string{
		"change":       {base, strings.Replace(base, "line d\n", "line D\n", 1)},
		"far apart":    {base, strings.Replace(strings.Replace(base, "line c", "C", 1), "line z", "Z", 1)},
		"near":         {base, strings.Replace(strings.Replace(base, "line c", "C", 1), "line ix", "I", 1)},
		"insert first": {base, "new\n" + base},
		"delete last":  {base, strings.Join(strings.SplitAfter(base, "\n")[:29], "")},
		"from empty":   {"", "a\nb\n"},
		"to empty":     {"a\nb\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got := unifiedDiff("a", "b", tc[0], tc[1])
			want := gnuDiff(t, tc[0], tc[1])
			if got != want {
				t.Errorf("got:\n%s\nwant (diff -u):\n%s", got, want)
			}
		})
	}
	if d := unifiedDiff("a", "b", base, base); d != "" {
		t.Errorf("equal texts: %q", d)
	}
}

func gnuDiff(t *testing.T, a, b string) string {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff on PATH")
	}
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(pa, []byte(a), 0o644)
	os.WriteFile(pb, []byte(b), 0o644)
	out, _ := exec.Command("diff", "-u", "--label", "a", "--label", "b", pa, pb).Output()
	return string(out)
}
