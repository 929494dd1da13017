package provisioner

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func samplePlan() *Plan {
	return &Plan{
		Version: PlanVersion, Inventory: "/srv/infra", InventoryHash: "ab12",
		CreatedAt: time.Date(2026, 11, 22, 3, 15, 0, 0, time.UTC),
		Placement: &schedule.Assignment{Stacks: []schedule.StackPlacement{{Name: "web", Replicas: []schedule.Replica{
			{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20000}, Status: schedule.Kept},
			{Index: 1, Host: "app-3", Ports: map[string]int{"http": 20000}, Status: schedule.Moved, From: "app-2", Reason: "app-2: drained"},
		}}}},
		Hosts: []*HostPlan{
			{Host: "app-1", Changes: []modules.Change{
				{Host: "app-1", Address: "package.docker", Action: modules.Create, Op: "install", Reason: "not installed: docker.io", After: "docker.io"},
				{Host: "app-1", Address: "docker.daemon", Action: modules.Update, Op: "write", Reason: `settings differ: log-driver "json-file" -> "syslog"; dockerd will be restarted`,
					Before: `{"log-driver":"json-file"}`, After: `{"log-driver":"syslog"}`},
				{Host: "app-1", Address: "file./etc/app.env", Action: modules.Update, Op: "write", Reason: "content differs", Before: "(sensitive) 10B 0600 root:root", After: "(sensitive) 12B 0600 root:root", Sensitive: true},
				{Host: "app-1", Address: "service.rsyslog", Action: modules.Replace, Op: "restart", Reason: "changed: file./etc/rsyslog.d/40-berth-containers.conf"},
			}, Resources: []string{"package.docker", "docker.daemon", "file./etc/app.env", "service.rsyslog"}},
			{Host: "app-2", Changes: []modules.Change{{Host: "app-2", Address: "stack.web", Action: modules.Delete, Op: "remove", Reason: "replica moved to app-3; containers stopped, volumes kept"}}},
			{Host: "app-3", Changes: []modules.Change{}, Busy: "locked by ops@laptop (pid 42, \"berth apply\") since 2026-11-22T03:00:00Z, lock id abc"},
			{Host: "app-4", Changes: []modules.Change{}, Error: "host app-4 (10.0.0.4:22): unknown host key ssh-ed25519 SHA256:xyz", Hint: "berth hosts trust app-4 --fingerprint SHA256:xyz"},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	var b bytes.Buffer
	Render(&b, samplePlan())
	golden(t, "plan.golden", b.Bytes())
}

func TestPlanJSONGoldenAndRoundTrip(t *testing.T) {
	p := samplePlan()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json.golden", append(b, '\n'))
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if same, why := SameChanges(p, back); !same {
		t.Fatalf("saved plan reads back different: %s", why)
	}
	back.Hosts[0].Changes[1].After = `{"log-driver":"local"}`
	if same, _ := SameChanges(p, back); same {
		t.Fatal("a changed change still counts as the same plan")
	}
}
