package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Encrypted inputs: the fixtures are secret/sops's, written by the real sops.
func sopsInventory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"app.env.enc", "doc.json.enc"} {
		b, err := os.ReadFile(filepath.Join("..", "secret", "sops", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	compose := "services:\n  web:\n    image: busybox\n    environment:\n      GREETING: ${GREETING}\n"
	hcl := `
variable "registry_password" {
  type      = string
  sensitive = true
}
variable "from_pm" {
  type         = string
  sensitive    = true
  from_command = ["printf", "%s\n", "pm-secret-value"]
}
host "a" { address = "10.0.0.1" }
stack "app" {
  compose  = "app"
  env_file = "app.env.enc"
  place { hosts = "*" }
}
file "/etc/app/config.json" {
  hosts  = "*"
  source = "doc.json.enc"
}
file "/etc/app/pm" {
  hosts   = "*"
  content = var.from_pm
}
`
	for name, content := range map[string]string{"main.hcl": hcl, "app/compose.yaml": compose} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSOPSInputs(t *testing.T) {
	dir := sopsInventory(t)
	key, _ := filepath.Abs("../secret/sops/testdata/age-key.txt")
	varFile, _ := filepath.Abs("../secret/sops/testdata/prod.vars.enc")
	env := map[string]string{"SOPS_AGE_KEY_FILE": key}
	inv, diags := Load(dir, Options{VarFiles: []string{varFile}, Getenv: func(k string) string { return env[k] }})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	if got := string(inv.Stack("app").Env); !strings.Contains(got, "API_TOKEN=canary-sops-Rv58-never-print") {
		t.Errorf("env file not decrypted: %d bytes", len(got))
	}
	h := inv.Host("a")
	for _, f := range h.Files {
		if !f.Sensitive {
			t.Errorf("%s is not sensitive", f.Path)
		}
	}
	if got := string(h.Files[0].Content); !strings.Contains(got, `"password": "s3cret-json"`) {
		t.Errorf("file source not decrypted: %q", got)
	}
	if got := string(h.Files[1].Content); got != "pm-secret-value" {
		t.Errorf("from_command gave %q", got)
	}
	masked := inv.Masker().Text("s3cret-from-var-file pm-secret-value canary-sops-Rv58-never-print")
	for _, s := range []string{"s3cret", "pm-secret", "canary"} {
		if strings.Contains(masked, s) {
			t.Errorf("masker lets %s through: %s", s, masked)
		}
	}
}

func TestSOPSErrorsNameTheFile(t *testing.T) {
	dir := sopsInventory(t)
	_, diags := Load(dir, Options{Getenv: func(string) string { return "" }})
	text := describe(diags)
	for _, want := range []string{"app.env.enc is SOPS-encrypted and cannot be opened: no age key can open it", "doc.json.enc is SOPS-encrypted"} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, text)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "app.env.enc"))
	i := strings.Index(string(b), "API_TOKEN=ENC[AES256_GCM,data:") + len("API_TOKEN=ENC[AES256_GCM,data:")
	b[i] ^= 1
	os.WriteFile(filepath.Join(dir, "app.env.enc"), b, 0o644)
	key, _ := filepath.Abs("../secret/sops/testdata/age-key.txt")
	_, diags = Load(dir, Options{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return key
		}
		return ""
	}})
	if text := describe(diags); !strings.Contains(text, "app.env.enc is SOPS-encrypted and cannot be opened: value of API_TOKEN does not authenticate: the file was changed after it was encrypted") {
		t.Errorf("tampered file:\n%s", text)
	}
}
