package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegistryBlock(t *testing.T) {
	dir := t.TempDir()
	hcl := `
variable "reg_password" {
  type      = string
  sensitive = true
}
host "a" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
host "b" { address = "10.0.0.2" }
registry "reg.example.com:5000" {
  hosts    = "role=app"
  username = "deploy"
  password = var.reg_password
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, diags := Load(dir, Options{Getenv: func(k string) string {
		if k == "BERTH_VAR_reg_password" {
			return "s3cret-registry"
		}
		return ""
	}})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	a, b := inv.Host("a"), inv.Host("b")
	if len(b.Registries) != 0 || len(a.Registries) != 1 {
		t.Fatalf("registries: a %d, b %d", len(a.Registries), len(b.Registries))
	}
	r := a.Registries[0]
	if r.Server != "reg.example.com:5000" || r.Username != "deploy" || string(r.Password) != "s3cret-registry" {
		t.Fatalf("got %+v", r)
	}
	if s := fmt.Sprintf("%v %+v", r.Password, *r); strings.Contains(s, "s3cret") {
		t.Fatalf("the password prints: %s", s)
	}
	if got := inv.Masker().Text("x s3cret-registry y"); strings.Contains(got, "s3cret") {
		t.Fatalf("masker lets the password through: %s", got)
	}
}
