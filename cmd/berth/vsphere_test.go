package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/source/vsphere/vspheretest"
)

// vsphereInventory writes an inventory whose only hosts come from a vsphere source at url,
// with one stack placed on role=app, and returns its directory.
func vsphereInventory(t *testing.T, url string) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stacks/web/docker-compose.yml"), "services:\n  web:\n    image: nginx:1.27\n")
	writeFile(t, filepath.Join(dir, "main.hcl"), `variable "vc_password" {
  type      = string
  sensitive = true
  default   = ""
}

source "vsphere" "lab" {
  url              = "`+url+`"
  username         = "`+vspheretest.User+`"
  password         = var.vc_password
  insecure         = true
  folders          = ["prod", "staging"]
  address          = "{{name}}.invalid"
  label_attributes = ["owner"]
  ssh {
    connect_timeout = "2s"
  }
}

stack "web" {
  compose = "stacks/web"
  place {
    hosts = "role=app"
  }
}
`)
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostsListVSphere: berth hosts list -l role=app --json shows exactly the powered-on app
// VMs of the selected folders, with their tags and owner as labels and their capacity.
func TestHostsListVSphere(t *testing.T) {
	srv := vspheretest.Start(t, 200)
	dir := vsphereInventory(t, srv.URL)
	vars := map[string]string{"BERTH_VAR_vc_password": vspheretest.Password, "BERTH_CACHE_DIR": t.TempDir()}
	code, stdout, stderr := berthEnv(vars, "hosts", "list", "-l", "role=app", "--json", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var want []string
	for i := range 200 {
		if v := vspheretest.Fleet(i); v.Role == "app" && v.On && v.Folder != "other" {
			want = append(want, v.Name)
		}
	}
	var got []string
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var h listedHost
		if err := dec.Decode(&h); err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
		if h.Name == "app-004" {
			b, _ := json.Marshal(h)
			if string(b) != `{"name":"app-004","address":"app-004.invalid","labels":{"env":"prod","owner":"team-4","role":"app","zone":"gra"},"capacity":{"cpus":1,"memory":5368709120},"source":"vsphere.lab","origin":"vm-`+strings.TrimPrefix(h.Origin, "vm-")+`"}` ||
				!strings.HasSuffix(h.Origin, " /DC0/vm/prod/eu/app-004") {
				t.Errorf("app-004: %s", b)
			}
		}
	}
	sort.Strings(want)
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("hosts:\n got %v\nwant %v", got, want)
	}
}

// TestVSphereFailures: an unreachable vCenter and a wrong password fail the command, naming
// the source and its place, never giving zero hosts; validate of the same inventory stays
// offline and passes.
func TestVSphereFailures(t *testing.T) {
	srv := vspheretest.Start(t, 8)
	for _, tc := range []struct {
		name, url, password, want string
	}{
		{"unreachable", "https://127.0.0.1:1/sdk", vspheretest.Password, "connect to 127.0.0.1:1"},
		{"wrong password", srv.URL, "Wr0ng-pw-7", "the user name or password is wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := vsphereInventory(t, tc.url)
			vars := map[string]string{"BERTH_VAR_vc_password": tc.password}
			for _, args := range [][]string{{"hosts", "list", dir}, {"plan", dir}} {
				code, stdout, stderr := berthEnv(vars, args...)
				if code != exitError || !strings.Contains(stderr, "Error: Cannot list source vsphere.lab") ||
					!strings.Contains(stderr, "on main.hcl line 7") || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", args[0], code, stdout, stderr)
				}
				if strings.Contains(stderr+stdout, tc.password) {
					t.Errorf("the password is shown")
				}
			}
			code, stdout, stderr := berthEnv(vars, "validate", dir)
			if code != exitOK || !strings.Contains(stdout, "vsphere.lab not listed (validate stays offline)") {
				t.Errorf("validate: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestPlanVSphereSelector: plan -l role=db lists the source and reports each selected VM
// unreachable by name (the simulated VMs run no SSH): the right hosts, never zero.
func TestPlanVSphereSelector(t *testing.T) {
	srv := vspheretest.Start(t, 40)
	dir := vsphereInventory(t, srv.URL)
	vars := map[string]string{"BERTH_VAR_vc_password": vspheretest.Password, "HOME": t.TempDir()}
	code, _, stderr := berthEnv(vars, "plan", "-l", "role=db", "--no-color", dir)
	if code != exitError {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var want []string
	for i := range 40 {
		if v := vspheretest.Fleet(i); v.Role == "db" && v.On && v.Folder != "other" {
			want = append(want, v.Name)
		}
	}
	for _, n := range want {
		if !strings.Contains(stderr, "error: "+n+": ") {
			t.Errorf("%s is not reported unreachable:\n%s", n, stderr)
		}
	}
	if strings.Contains(stderr, "error: app-") || len(want) == 0 {
		t.Errorf("plan reaches beyond -l role=db:\n%s", stderr)
	}
}

// TestSourceSnapshot: --source-max-age takes the last listing instead of vCenter (here made
// unusable by a wrong password) and says so; without it the same run fails.
func TestSourceSnapshot(t *testing.T) {
	srv := vspheretest.Start(t, 20)
	dir := vsphereInventory(t, srv.URL)
	cache := t.TempDir()
	good := map[string]string{"BERTH_VAR_vc_password": vspheretest.Password, "BERTH_CACHE_DIR": cache}
	if code, _, stderr := berthEnv(good, "hosts", "list", dir); code != exitOK {
		t.Fatalf("first listing: exit %d\n%s", code, stderr)
	}
	bad := map[string]string{"BERTH_VAR_vc_password": "wrong", "BERTH_CACHE_DIR": cache}
	code, stdout, stderr := berthEnv(bad, "hosts", "list", "--source-max-age", "1h", dir)
	if code != exitOK || !strings.Contains(stderr, "note: vsphere.lab: 14 hosts from the snapshot of ") || strings.Count(stdout, "\n") != 14 {
		t.Errorf("from the snapshot: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := berthEnv(bad, "hosts", "list", "--source-max-age", "1ns", dir); code != exitError || !strings.Contains(stderr, "password is wrong") {
		t.Errorf("a snapshot older than the maximum age was used: exit %d\n%s", code, stderr)
	}
}
