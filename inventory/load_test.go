package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

func loadFull(t *testing.T, opts Options) *Inventory {
	t.Helper()
	inv, diags := Load("testdata/valid/full", opts)
	if diags.HasErrors() {
		t.Fatalf("load: %s", describe(diags))
	}
	return inv
}

func TestLoadModel(t *testing.T) {
	inv := loadFull(t, Options{})
	app1, app2, lb := inv.Host("app-1"), inv.Host("app-2"), inv.Host("lb-1")
	api := inv.Stacks[0]
	tests := []struct {
		name      string
		got, want any
	}{
		{"host order", hostNames(inv), []string{"app-1", "app-2", "lb-1"}},
		{"address from local", app1.Address, "10.1.0.11"},
		{"labels merged", app1.Labels, map[string]string{"role": "app", "zone": "rbx"}},
		{"capacity", app1.Capacity, Capacity{CPUs: 4, Memory: 8 << 30}},
		{"ssh inherited", app1.SSH, SSH{User: "deploy", Port: 2222, KnownHosts: "known_hosts", ConnectTimeout: 5 * time.Second, Transport: "agent"}},
		{"ssh override", [2]string{app2.SSH.User, app2.SSH.Jump}, [2]string{"ops", "bastion.example.net"}},
		{"ssh port kept", app2.SSH.Port, 2222},
		{"become default", app1.Become, true},
		{"become override", lb.Become, false},
		{"port range default", app1.PortRange, PortRange{21000, 21999}},
		{"port range override", lb.PortRange, PortRange{22000, 22099}},
		{"group by label", inv.Groups[0].Members, []string{"app-1", "app-2"}},
		{"group by member", inv.Groups[1].Members, []string{"lb-1"}},
		{"default daemon", app1.Docker.Daemon, DefaultDaemon()},
		{"docker source", [2]string{app1.Docker.Source, lb.Docker.Source}, [2]string{"distro", "docker"}},
		{"custom daemon", lb.Docker.Daemon, map[string]any{"log-driver": "json-file", "live-restore": true}},
		{"syslog defaults", [2]any{lb.Syslog.ContainerLogs, lb.Syslog.Rotate}, [2]any{"/var/log/containers", 7}},
		{"syslog forward", *lb.Syslog.Forward, Forward{"tcp", "logs.example.net", 514}},
		{"per-host template", string(app1.Files[0].Content), "Welcome to app-1 in rbx\n"},
		{"per-host template lb", string(lb.Files[0].Content), "Welcome to lb-1 in gra\n"},
		{"file source", [3]any{app1.Files[1].Path, string(app1.Files[1].Content), app1.Files[1].Mode}, [3]any{"/etc/berth/token", "s3cr3t-token\n", os.FileMode(0o600)}},
		{"file not on lb", len(lb.Files), 1},
		{"directory by labels", [2]int{len(app1.Directories), len(lb.Directories)}, [2]int{1, 0}},
		{"package", app1.Packages[0].Names, []string{"curl", "jq"}},
		{"service", [2]any{*app1.Services[0].Enabled, app1.Services[0].Restart}, [2]any{true, []string{"file./etc/motd"}}},
		{"stack root", api.Root, "/opt/stacks"},
		{"stack place", api.Place, Place{Hosts: []string{"app-1", "app-2"}, Spread: "zone"}},
		{"stack ports", api.Ports[0].Service + "/" + api.Ports[1].Service, "api/api"},
		{"fixed port", api.Ports[1].Host, 9090},
		{"health", api.Health.Timeout, 2 * time.Minute},
		{"resources from compose", api.Resources, Resources{CPUs: 0.5, Memory: 256 << 20}},
		{"images", [3]any{api.Images, api.ForceRecreate, api.PruneImages}, [3]any{"ship", true, true}},
		{"env file secret", string(api.Env), "API_VERSION=2.1\nDB_PASSWORD=hunter2-very-secret\n"},
		{"interpolated image", api.Project.Services["api"].Image, "registry.example.net/api:2.1"},
		{"profile off", len(api.Project.Services), 1},
		{"project name", api.Project.Name, "api"},
		{"config files", sortedFileNames(api.ConfigFiles), []string{"conf/app.ini"}},
		{"balancer", [2]any{inv.Balancers[0].Hosts, inv.Balancers[0].Frontends[0].Port}, [2]any{[]string{"lb-1"}, "http"}},
		{"runbook kinds", stepKindsOf(inv.Runbooks[0]), []string{"balancer", "apply", "wait", "confirm", "exec"}},
		{"undo", inv.Runbooks[0].Steps[0].Undo.Attrs["action"], "ready"},
		{"exec argv", inv.Runbooks[0].Steps[4].Command, []string{"systemctl", "restart", "rsyslog"}},
		{"step hosts", inv.Runbooks[0].Steps[4].Hosts, []string{"app-1", "app-2"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func hostNames(inv *Inventory) []string {
	var out []string
	for _, h := range inv.Hosts {
		out = append(out, h.Name)
	}
	return out
}

func stepKindsOf(rb *Runbook) []string {
	var out []string
	for _, s := range rb.Steps {
		out = append(out, s.Kind)
	}
	return out
}

// TestVariablePrecedence: default < BERTH_VAR_x < -var-file < -var.
func TestVariablePrecedence(t *testing.T) {
	vf := filepath.Join(t.TempDir(), "prod.vars")
	os.WriteFile(vf, []byte("region = \"gra\"\nreplicas = 2\n"), 0o644)
	env := map[string]string{"BERTH_VAR_region": "sbg", "BERTH_VAR_extra_labels": `{tier = "gold"}`}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name     string
		opts     Options
		zone     string
		replicas int
		tier     string
	}{
		{"defaults", Options{}, "rbx", 1, ""},
		{"env", Options{Getenv: getenv}, "sbg", 1, "gold"},
		{"var file over env", Options{Getenv: getenv, VarFiles: []string{vf}}, "gra", 2, "gold"},
		{"-var over all", Options{Getenv: getenv, VarFiles: []string{vf}, Vars: map[string]string{"region": "waw", "replicas": "3"}}, "waw", 3, "gold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := loadFull(t, tt.opts)
			h := inv.Host("app-1")
			if h.Labels["zone"] != tt.zone || inv.Stacks[0].Replicas != tt.replicas || h.Labels["tier"] != tt.tier {
				t.Errorf("zone %q replicas %d tier %q; want %q %d %q", h.Labels["zone"], inv.Stacks[0].Replicas, h.Labels["tier"], tt.zone, tt.replicas, tt.tier)
			}
		})
	}
}

func TestUndeclaredVar(t *testing.T) {
	_, diags := Load("testdata/valid/full", Options{Vars: map[string]string{"regoin": "x"}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `Did you mean "region"`) {
		t.Fatalf("want undeclared variable error with suggestion, got %v", diags)
	}
}

// TestSecretsNeverPrinted formats the stacks every usual way and looks for the env values.
func TestSecretsNeverPrinted(t *testing.T) {
	inv := loadFull(t, Options{})
	js, err := json.Marshal(inv.Stacks)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", inv.Stacks[0]), fmt.Sprintf("%+v", *inv.Stacks[0]), fmt.Sprintf("%#v", *inv.Stacks[0]), string(js)} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret leaked: %.300s", out[strings.Index(out, "hunter2")-100:])
		}
	}
}

func TestHashStable(t *testing.T) {
	a, b := loadFull(t, Options{}), loadFull(t, Options{})
	c := loadFull(t, Options{Vars: map[string]string{"replicas": "2"}})
	if a.Hash != b.Hash || len(a.Hash) != 64 {
		t.Fatalf("hash not stable: %s %s", a.Hash, b.Hash)
	}
	if a.Hash == c.Hash {
		t.Fatal("hash ignores variable values")
	}
}

func TestFilesKeptOnError(t *testing.T) {
	inv, diags := Load("testdata/errors/duplicate-host", Options{})
	if !diags.HasErrors() || inv.Files["main.hcl"] == nil {
		t.Fatalf("want errors and the file map, got %v, files %v", diags, inv.Files)
	}
}

// TestComposeLikeDockerCompose: extends from another file, the override file, the stack
// directory's .env for interpolation (kept as the secret Env), profiles.
func TestComposeLikeDockerCompose(t *testing.T) {
	inv, diags := Load("testdata/valid/extends", Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	s := inv.Stacks[0]
	web := s.Project.Services["web"]
	tests := []struct {
		name      string
		got, want any
	}{
		{"extends + interpolation from .env", web.Image, "registry.test/base:7"},
		{"healthcheck from base", web.HealthCheck != nil && web.HealthCheck.Test[1] == "true", true},
		{"override merged", web.Labels["tier"], "front"},
		{"profile active", len(s.Project.Services), 2},
		{".env is the secret", string(s.Env), "BASE_TAG=7\n"},
		{"env file path", s.EnvFile, "app/.env"},
		{".env and the override not config files", sortedFileNames(s.ConfigFiles), []string{"base.yaml"}},
		{"override merged into the shipped file", strings.Contains(string(s.ComposeFile), `"tier": "front"`), true},
		{"port service", s.Ports[0].Service, "web"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestPerHostErrorReportedOnce(t *testing.T) {
	_, diags := Load("testdata/errors/per-host-error-once", Options{})
	if len(diags) != 1 {
		t.Fatalf("want 1 diagnostic for a block selecting 2 hosts, got %d:\n%s", len(diags), describe(diags))
	}
}

// A sensitive variable may reach a file's content, which then is sensitive itself (its diff
// is never shown); anywhere else it is refused, and a validation message using it is not
// printed.
func TestSensitiveVariable(t *testing.T) {
	load := func(body string) (*Inventory, hcl.Diagnostics) {
		dir := t.TempDir()
		src := "variable \"token\" {\n  sensitive = true\n  default = \"s3cr3t-value\"\n  validation {\n    condition = var.token != \"abc\"\n    error_message = \"bad token ${var.token}\"\n  }\n}\nhost \"h1\" {\n  address = \"10.0.0.1\"\n}\n" + body
		os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644)
		return Load(dir, Options{})
	}
	inv, diags := load("locals {\n  line = \"token=${upper(var.token)}\"\n}\nfile \"/etc/t\" {\n  hosts = \"*\"\n  content = local.line\n}\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if f := inv.Host("h1").Files[0]; !f.Sensitive || string(f.Content) != "token=S3CR3T-VALUE" {
		t.Errorf("file from a sensitive variable: sensitive %v, content %q", f.Sensitive, f.Content)
	}
	_, diags = load("package \"p\" {\n  hosts = \"*\"\n  names = [\"curl=${var.token}\"]\n}\n")
	if !strings.Contains(diags.Error(), "Sensitive value not allowed here") || strings.Contains(describe(diags), "s3cr3t") {
		t.Errorf("sensitive package version: %s", describe(diags))
	}
	_, diags = Load(writeInv(t, "variable \"token\" {\n  sensitive = true\n  default = \"abc\"\n  validation {\n    condition = var.token != \"abc\"\n    error_message = \"bad token ${var.token}\"\n  }\n}\n"), Options{})
	if !strings.Contains(describe(diags), "not shown") || strings.Contains(describe(diags), "bad token abc") {
		t.Errorf("validation of a sensitive variable: %s", describe(diags))
	}
}

func writeInv(t *testing.T, src string) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644)
	return dir
}

// A service may read the stack's env_file, which berth ships as the stack directory's .env,
// with its own env_file: .env, although no .env is in the directory on this machine.
func TestServiceReadsTheShippedEnvFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"main.hcl":                "host \"h1\" {\n  address = \"10.0.0.1\"\n}\n\nstack \"web\" {\n  compose  = \"stacks/web\"\n  env_file = \"secrets/web.env\"\n}\n",
		"secrets/web.env":         "TOKEN=x\n",
		"stacks/web/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    env_file: .env\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, diags := Load(dir, Options{}); diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	if err := os.Remove(filepath.Join(dir, "secrets/web.env")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte("host \"h1\" {\n  address = \"10.0.0.1\"\n}\n\nstack \"web\" {\n  compose = \"stacks/web\"\n}\n"), 0o644)
	if _, diags := Load(dir, Options{}); !diags.HasErrors() {
		t.Fatal("without env_file, a service's env_file: .env that nothing ships must stay an error")
	}
}
