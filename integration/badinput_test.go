package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bad input that never needs a host: every error fixture of the inventory package and every
// crafted fixture of testdata/badinput (shell injection in names, users, packages, paths,
// stack names; path traversal; compose files compose-go rejects) goes through `berth plan`,
// the command an operator runs first. Each must exit 1 with a diagnostic at the line its
// "# ERROR: summary" marker is on, before any connection: the fixtures' addresses are in
// 10.255.255.0/24, where nothing answers, so a plan that dialled would fail differently.

var badMarkerRE = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

type badMarker struct {
	file, summary, severity string
	line                    int
}

// jsonDiag is one diagnostic of --format json.
type jsonDiag struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

func badMarkers(t *testing.T, dir string) []badMarker {
	t.Helper()
	var out []badMarker
	paths, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			if m := badMarkerRE.FindStringSubmatch(sc.Text()); m != nil {
				out = append(out, badMarker{file: filepath.Base(p), line: n, summary: m[2], severity: strings.ToLower(m[1])})
			}
		}
		f.Close()
	}
	return out
}

// planRefuses runs plan on dir and checks that every marker produced its diagnostic.
func planRefuses(t *testing.T, dir string) {
	t.Helper()
	markers := badMarkers(t, dir)
	hasError := false
	for _, m := range markers {
		hasError = hasError || m.severity == "error"
	}
	if !hasError {
		t.Fatalf("%s has no # ERROR: marker", dir)
	}
	res := runBerth(t, 2*time.Minute, "plan", dir, "--format", "json")
	res.wantCode(t, 1)
	var diags []jsonDiag
	if err := json.Unmarshal([]byte(res.Stderr), &diags); err != nil {
		t.Fatalf("plan --format json: stderr is not the diagnostics array (%v):\n%s", err, res.Stderr)
	}
	for _, m := range markers {
		found := false
		for _, d := range diags {
			found = found || (d.Range != nil && d.Severity == m.severity && filepath.Base(d.Range.Filename) == m.file &&
				d.Range.Start.Line == m.line && strings.Contains(strings.ToLower(d.Summary+": "+d.Detail), strings.ToLower(m.summary)))
		}
		if !found {
			t.Errorf("%s:%d: no %s %q in:\n%s", m.file, m.line, m.severity, m.summary, res.Stderr)
		}
	}
	if res.Stdout != "" {
		t.Errorf("plan printed a plan for an invalid inventory:\n%s", res.Stdout)
	}
}

func TestBadInventoryFixturesThroughPlan(t *testing.T) {
	requireIntegration(t)
	dirs, _ := filepath.Glob(filepath.Join("..", "inventory", "testdata", "errors", "*"))
	crafted, _ := filepath.Glob(filepath.Join("testdata", "badinput", "*"))
	if len(dirs) < 50 || len(crafted) < 45 {
		t.Fatalf("%d inventory fixtures and %d crafted ones, want at least 50 and 45", len(dirs), len(crafted))
	}
	n := 0
	for _, dir := range append(dirs, crafted...) {
		markers := badMarkers(t, dir)
		if !hasErrorMarker(markers) {
			continue // warnings only: TestBadInputWarningsThenUnreachable
		}
		n++
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) { planRefuses(t, dir) })
	}
	t.Logf("%d bad inventories refused by plan", n)
}

func hasErrorMarker(ms []badMarker) bool {
	for _, m := range ms {
		if m.severity == "error" {
			return true
		}
	}
	return false
}

// A valid inventory with warnings, whose host does not answer: plan shows the warnings, then
// fails naming the host, within its connect timeout and retries.
func TestBadInputWarningsThenUnreachable(t *testing.T) {
	requireIntegration(t)
	src := filepath.Join("..", "inventory", "testdata", "errors", "compose-warnings")
	dir := t.TempDir()
	copyTree(t, src, dir)
	hcl := filepath.Join(dir, "main.hcl")
	b, err := os.ReadFile(hcl)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's 10.0.0.1 may route somewhere on a CI machine; TEST-NET-1 never does. Its
	// host h2 with an invalid address is dropped so that only warnings remain.
	src2, _, _ := strings.Cut(string(b), "host \"h2\"")
	writeFile(t, hcl, strings.Replace(src2, `address = "10.0.0.1"`, "address = \"192.0.2.1\"\n  ssh {\n    connect_timeout = \"3s\"\n  }", 1))
	res := runBerth(t, 3*time.Minute, "plan", dir, "--no-color")
	res.wantCode(t, 1)
	for _, want := range []string{"Obsolete compose attribute", "h1", "192.0.2.1"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
}

// Inputs built at run time: a 50 MB compose file, a stack directory that is a symlink out of
// the inventory, a compose file that is a symlink to /etc/passwd.
func TestBadInputGenerated(t *testing.T) {
	requireIntegration(t)
	base := "host \"h1\" {\n  address = \"10.255.255.1\"\n}\n\nstack \"s\" {\n  compose = \"stacks/s\" # ERROR: SUMMARY\n}\n"
	cases := []struct {
		name, summary string
		build         func(t *testing.T, stackDir string)
	}{
		{"compose-50MB", "berth accepts compose files up to 4 MiB", func(t *testing.T, d string) {
			var b strings.Builder
			b.WriteString("services:\n  web:\n    image: busybox\n    labels:\n")
			for i := 0; b.Len() < 50<<20; i++ {
				b.WriteString("      l" + strings.Repeat("x", 64) + strconv.Itoa(i) + ": " + strings.Repeat("v", 400) + "\n")
			}
			writeFile(t, filepath.Join(d, "compose.yaml"), b.String())
		}},
		{"stack-dir-symlink-out", "Invalid compose directory", func(t *testing.T, d string) {
			os.Remove(d)
			if err := os.Symlink("/etc", d); err != nil {
				t.Fatal(err)
			}
		}},
		{"compose-symlink-passwd", "points to /etc/passwd, outside the stack directory", func(t *testing.T, d string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(d, "compose.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			stackDir := filepath.Join(dir, "stacks", "s")
			if err := os.MkdirAll(stackDir, 0o755); err != nil {
				t.Fatal(err)
			}
			c.build(t, stackDir)
			writeFile(t, filepath.Join(dir, "main.hcl"), strings.Replace(base, "SUMMARY", c.summary, 1))
			planRefuses(t, dir)
		})
	}
}

// copyTree copies a fixture directory (regular files and directories only).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
