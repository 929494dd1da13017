package inventory

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// marker is an expected diagnostic: `# ERROR: summary` or `# WARNING: summary` at the end of
// the line the diagnostic must point at.
type marker struct {
	file, summary string
	line          int
	sev           hcl.DiagnosticSeverity
}

var markerRE = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

func readMarkers(t *testing.T, dir string) []marker {
	var out []marker
	paths, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			if m := markerRE.FindStringSubmatch(sc.Text()); m != nil {
				sev := hcl.DiagError
				if m[1] == "WARNING" {
					sev = hcl.DiagWarning
				}
				out = append(out, marker{file: filepath.Base(p), line: n, summary: m[2], sev: sev})
			}
		}
		f.Close()
	}
	return out
}

// TestErrorFixtures loads every directory of testdata/errors and checks that each marker's
// line produced a diagnostic with that summary, and that no error appeared without a marker.
func TestErrorFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/errors/*")
	if len(dirs) < 30 {
		t.Fatalf("only %d error fixtures, want at least 30", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			markers := readMarkers(t, dir)
			if len(markers) == 0 {
				t.Fatalf("fixture has no # ERROR: marker")
			}
			_, diags := Load(dir, Options{Vars: fixtureVars(dir), Getenv: func(string) string { return "" }})
			checkMarkers(t, markers, diags)
		})
	}
}

func fixtureVars(dir string) map[string]string {
	b, err := os.ReadFile(filepath.Join(dir, "vars"))
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

func checkMarkers(t *testing.T, markers []marker, diags hcl.Diagnostics) {
	t.Helper()
	matched := make([]bool, len(diags))
	for _, m := range markers {
		found := false
		for i, d := range diags {
			if d.Severity == m.sev && d.Subject != nil && filepath.Base(d.Subject.Filename) == m.file &&
				d.Subject.Start.Line == m.line && strings.Contains(strings.ToLower(d.Summary+": "+d.Detail), strings.ToLower(m.summary)) {
				matched[i], found = true, true
			}
		}
		if !found {
			t.Errorf("%s:%d: no diagnostic %q; got:\n%s", m.file, m.line, m.summary, describe(diags))
		}
	}
	for i, d := range diags {
		if !matched[i] && d.Severity == hcl.DiagError {
			t.Errorf("unexpected diagnostic: %s", describe(hcl.Diagnostics{d}))
		}
	}
}

func describe(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		where := "-"
		if d.Subject != nil {
			where = d.Subject.String()
		}
		b.WriteString("  " + where + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}
