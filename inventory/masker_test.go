package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// The inventory's masker knows every env file value and every sensitive variable's value:
// command output that prints them (cat .env, docker inspect) is masked, the rest kept.
func TestMaskerHasEnvAndSensitiveValues(t *testing.T) {
	m := loadFull(t, Options{}).Masker()
	out := m.Text("API_VERSION=2.1\nDB_PASSWORD=hunter2-very-secret\nversion 2.1 of hunter2-very-secret")
	if want := "API_VERSION=(sensitive)\nDB_PASSWORD=(sensitive)\nversion 2.1 of (sensitive)"; out != want {
		t.Errorf("masked env file:\n%s\nwant:\n%s", out, want)
	}
	inv, diags := Load(writeInv(t, "variable \"token\" {\n  sensitive = true\n  default = { a = \"s3cr3t-value\", pin = 1234 }\n}\nvariable \"plain\" {\n  default = \"visible-value\"\n}\nhost \"h1\" {\n  address = \"10.0.0.1\"\n}\n"), Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	if s := fmt.Sprint(inv.SensitiveValues); strings.Contains(s, "s3cr3t") || len(inv.SensitiveValues) != 2 {
		t.Errorf("SensitiveValues prints as %s (%d values), want 2 values shown as (sensitive)", s, len(inv.SensitiveValues))
	}
	got := inv.Masker().Text("s3cr3t-value visible-value\n1234")
	if got != "(sensitive) visible-value\n(sensitive)" {
		t.Errorf("masked: %q", got)
	}
}
