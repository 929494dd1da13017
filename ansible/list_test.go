package ansible

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*/want.hcl from the real ansible-inventory")

// needAnsible skips a test when ansible-inventory is missing, except in CI and integration
// runs (CI=true, BERTH_INTEGRATION=1), where a missing Ansible must fail: scripts/test
// installs it, and a skipped test there would prove nothing.
func needAnsible(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ansible-inventory"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" || os.Getenv("BERTH_INTEGRATION") == "1" {
		t.Fatal("ansible-inventory is not on PATH (apt-get install ansible); CI and BERTH_INTEGRATION=1 runs need it")
	}
	t.Skip("ansible-inventory is not on PATH (apt-get install ansible)")
}

// TestRealAnsible reads each fixture with the real ansible-inventory and compares the HCL with
// its want.hcl, which must load with inventory.Load:
//   - ini: INI with [group:vars], [group:children], a host in two groups, inline host vars;
//   - yaml: YAML with nested children, vars on all, names that are not berth names, a list;
//   - vars: INI beside group_vars/ and host_vars/, with an inline !vault value.
func TestRealAnsible(t *testing.T) {
	needAnsible(t)
	for _, tc := range []struct{ dir, source string }{
		{"ini", "hosts.ini"},
		{"yaml", "hosts.yml"},
		{"vars", "hosts.ini"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			source := filepath.Join("testdata", tc.dir, tc.source)
			out, _, err := List(ctx, source)
			if err != nil {
				t.Fatal(err)
			}
			got := convertJSON(t, string(out), source)
			wantFile := filepath.Join("testdata", tc.dir, "want.hcl")
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("HCL differs from %s; got:\n%s", wantFile, got)
			}
			for _, secret := range []string{"hunter2", "plaintext-but-secret", "abc123", "ANSIBLE_VAULT"} {
				if strings.Contains(got, secret) {
					t.Errorf("the output contains the secret %q", secret)
				}
			}
			mustLoad(t, got)
		})
	}
}

// TestRealAnsibleGroups: what berth makes of the ini fixture's groups, checked on the loaded
// inventory: web-2 is in web and monitoring, prod has the hosts of its children.
func TestRealAnsibleGroups(t *testing.T) {
	needAnsible(t)
	want, err := os.ReadFile(filepath.Join("testdata", "ini", "want.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	inv := mustLoad(t, string(want))
	members := map[string][]string{}
	for _, g := range inv.Groups {
		members[g.Name] = g.Members
	}
	for g, m := range map[string][]string{
		"web": {"web-1", "web-2"}, "monitoring": {"web-2"}, "db": {"db-1"}, "prod": {"db-1", "web-1", "web-2"},
	} {
		if !slices.Equal(members[g], m) {
			t.Errorf("group %s: members %v, want %v", g, members[g], m)
		}
	}
	for _, h := range inv.Hosts {
		if h.Name == "web-2" && (h.SSH.Port != 2222 || h.SSH.User != "deploy" || h.Address != "10.0.1.12") {
			t.Errorf("web-2: %+v", h)
		}
	}
}

// TestRealAnsibleBrokenSource: an inventory Ansible cannot parse is an error with Ansible's
// message, not an empty import.
func TestRealAnsibleBrokenSource(t *testing.T) {
	needAnsible(t)
	bad := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(bad, []byte("[web\nx y z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := List(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "ansible-inventory -i "+bad) {
		t.Errorf("err = %v", err)
	}
}
