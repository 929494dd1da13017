package provisioner

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// TestComposeCorpus validates and plans every project of testdata/corpus (compose projects
// written for this suite, shaped like common public ones) against the same three empty hosts,
// and compares the whole outcome with the project's expected.txt (go test -update rewrites
// them): the diagnostics with file and line, or the placement with every published port, the
// plan of each host, and the compose file and override shipped for the first replica.
func TestComposeCorpus(t *testing.T) {
	dirs, err := filepath.Glob("testdata/corpus/*")
	if err != nil || len(dirs) < 20 {
		t.Fatalf("corpus: %d projects (%v), want at least 20", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			golden(t, filepath.Join(strings.TrimPrefix(dir, "testdata/"), "expected.txt"), []byte(corpusOutcome(t, dir)))
		})
	}
}

func corpusOutcome(t *testing.T, dir string) string {
	var b strings.Builder
	inv, diags := inventory.Load(dir, inventory.Options{})
	if diags.HasErrors() {
		b.WriteString("validate: errors\n")
		writeDiags(&b, inv, diags)
		return b.String()
	}
	b.WriteString("validate: ok\n")
	writeDiags(&b, inv, diags)
	a, pd := Place(inv, nil, schedule.Assignment{})
	if pd.HasErrors() {
		b.WriteString("place: errors\n")
		writeDiags(&b, inv, pd)
		return b.String()
	}
	plan := &Plan{Placement: &a}
	var shipped []modules.Resource
	for _, h := range inv.Hosts {
		f := &facts.Facts{}
		f.Compose.Variant = "v2"
		rs := StackReplicas(inv, h, f, a, BuildOptions{})
		hp := &HostPlan{Host: h.Name, Changes: []modules.Change{}}
		for _, c := range Changes(Diff(h.Name, rs, probeCounts(rs), emptyResults(rs))) {
			hp.Changes = append(hp.Changes, c)
		}
		plan.Hosts = append(plan.Hosts, hp)
		if len(shipped) == 0 {
			shipped = rs
		}
	}
	RenderWidth(&b, plan, DefaultWidth)
	for _, s := range inv.Stacks {
		fmt.Fprintf(&b, "\n--- %s: files shipped\n", s.Name)
		for _, rel := range sortedKeys(s.ConfigFiles) {
			fmt.Fprintf(&b, "%s (%d B)\n", rel, len(s.ConfigFiles[rel]))
		}
		for _, bd := range s.Builds {
			fmt.Fprintf(&b, "build %s: context %s, %d files, %d B -> %s\n", bd.Service, bd.Context, bd.Files, bd.Size, bd.Tag)
		}
		fmt.Fprintf(&b, "--- %s: docker-compose.yml\n%s", s.Name, s.ComposeFile)
	}
	for _, r := range shipped {
		if sr, ok := r.(*stack.Resource); ok {
			fmt.Fprintf(&b, "--- %s: berth.override.yml (first replica)\n%s", sr.Name(), sr.OverrideFile())
		}
	}
	return b.String()
}

func writeDiags(b *strings.Builder, inv *inventory.Inventory, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		where := ""
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d: ", filepath.Base(d.Subject.Filename), d.Subject.Start.Line)
		}
		fmt.Fprintf(b, "%s%s: %s: %s\n", where, sev, d.Summary, strings.ReplaceAll(d.Detail, inv.Dir, "DIR"))
	}
}

func probeCounts(rs []modules.Resource) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = len(r.Probes())
	}
	return out
}

// emptyResults is what a fresh host answers: no file, no container, no image.
func emptyResults(rs []modules.Resource) []modules.ProbeResult {
	var out []modules.ProbeResult
	for _, r := range rs {
		for _, p := range r.Probes() {
			res := modules.ProbeResult{}
			if len(p.Argv) > 0 && p.Argv[0] != "sh" { // images and registry: absent
				res.ExitCode = 1
			}
			out = append(out, res)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
