package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/cert/certtest"
)

// tlsInv writes an inventory with one balancer in front of stack web, its frontend block
// body given, and the files given beside it.
func tlsInv(t *testing.T, frontend string, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	main := `variable "pem" {
  type      = string
  default   = ""
  sensitive = true
}
variable "plain" {
  type    = string
  default = ""
}
host "lb" {
  address = "10.0.0.2"
}
stack "web" {
  compose = "stacks/web"
  port "http" {
    container = 80
  }
}
balancer "edge" {
  hosts = "lb"
  frontend "web" {
    bind  = ":443"
    stack = "web"
    port  = "http"
` + frontend + `
  }
}
`
	files["main.hcl"] = []byte(main)
	files["stacks/web/compose.yaml"] = []byte("services:\n  web:\n    image: nginx:1.27\n")
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func leaves(t *testing.T, notAfter time.Time) (certtest.Leaf, certtest.Leaf) {
	t.Helper()
	ca, err := certtest.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.Issue([]string{"web.example.net"}, notAfter.Add(-48*time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ca.Issue([]string{"other.example.net"}, notAfter.Add(-48*time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestFrontendCertificateFromFileAndVariable(t *testing.T) {
	a, _ := leaves(t, time.Now().Add(365*24*time.Hour))
	dir := tlsInv(t, `    certificate_file = "certs/web.pem"
    redirect_http    = ":80"`, map[string][]byte{"certs/web.pem": a.Bundle()})
	inv, diags := Load(dir, Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	f := inv.Balancers[0].Frontends[0]
	if f.Certificate == nil || f.Certificate.Subject != "web.example.net" || f.RedirectHTTP != ":80" || f.CertificateSource != "certs/web.pem" {
		t.Fatalf("frontend %+v", f)
	}
	if got := inv.Balancers[0].ExpiryWarning; got != 30*24*time.Hour {
		t.Errorf("default expiry warning %s", got)
	}
	masked := inv.Masker().Text(string(a.Key))
	if strings.Contains(masked, strings.Split(string(a.Key), "\n")[1]) {
		t.Errorf("the masker lets the key through:\n%s", masked)
	}

	dir = tlsInv(t, `    certificate = var.pem`, map[string][]byte{})
	inv, diags = Load(dir, Options{Vars: map[string]string{"pem": string(a.Bundle())}})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	if f := inv.Balancers[0].Frontends[0]; f.Certificate == nil || f.CertificateSource != "variable" {
		t.Fatalf("frontend %+v", f)
	}
}

func TestExpiryWarningSettings(t *testing.T) {
	a, _ := leaves(t, time.Now().Add(365*24*time.Hour))
	dir := tlsInv(t, `    certificate_file = "certs/web.pem"`, map[string][]byte{"certs/web.pem": a.Bundle()})
	os.WriteFile(filepath.Join(dir, "defaults.hcl"), []byte("defaults {\n  expiry_warning = \"14d\"\n}\n"), 0o644)
	inv, diags := Load(dir, Options{})
	if diags.HasErrors() || inv.Balancers[0].ExpiryWarning != 14*24*time.Hour {
		t.Fatalf("%s: %v", describe(diags), inv.Balancers[0].ExpiryWarning)
	}
	os.WriteFile(filepath.Join(dir, "defaults.hcl"), []byte("defaults {\n  expiry_warning = \"soon\"\n}\n"), 0o644)
	if _, diags := Load(dir, Options{}); !strings.Contains(describe(diags), "Invalid expiry warning") {
		t.Errorf("a bad expiry_warning: %s", describe(diags))
	}
}

// Each bad certificate is an error at the attribute's line that names the file and never
// quotes the key.
func TestFrontendCertificateRefused(t *testing.T) {
	a, b := leaves(t, time.Now().Add(365*24*time.Hour))
	mismatch := append(append([]byte{}, a.Cert...), b.Key...)
	for _, tc := range []struct {
		name, body string
		files      map[string][]byte
		vars       map[string]string
		summary    string
		detail     string
		line       int
	}{
		{"not PEM", `    certificate_file = "certs/web.pem"`, map[string][]byte{"certs/web.pem": []byte("not a certificate\n")}, nil,
			"Invalid certificate", `"certs/web.pem" of frontend "web": not PEM`, 25},
		{"key of another certificate", `    certificate_file = "certs/web.pem"`, map[string][]byte{"certs/web.pem": mismatch}, nil,
			"Invalid certificate", "the private key does not match the certificate", 25},
		{"no key", `    certificate_file = "certs/web.pem"`, map[string][]byte{"certs/web.pem": a.Cert}, nil,
			"Invalid certificate", "no private key", 25},
		{"missing file", `    certificate_file = "certs/nope.pem"`, map[string][]byte{}, nil,
			"Cannot read certificate", "nope.pem", 25},
		{"outside the directory", `    certificate_file = "../web.pem"`, map[string][]byte{}, nil,
			"Cannot read certificate", "", 25},
		{"plain variable", `    certificate = var.plain`, map[string][]byte{}, map[string]string{"plain": string(a.Bundle())},
			"Certificate not sensitive", "sensitive = true", 25},
		{"mismatched variable", `    certificate = var.pem`, map[string][]byte{}, map[string]string{"pem": string(mismatch)},
			"Invalid certificate", "The certificate of frontend \"web\": the private key does not match", 25},
		{"both", "    certificate = var.pem\n    certificate_file = \"certs/web.pem\"", map[string][]byte{"certs/web.pem": a.Bundle()}, nil,
			"Conflicting certificate", "not both", 21},
		{"redirect without certificate", `    redirect_http = ":80"`, map[string][]byte{}, nil,
			"Redirect without a certificate", "certificate_file", 25},
		{"redirect on the frontend's bind", "    certificate_file = \"certs/web.pem\"\n    redirect_http = \":443\"", map[string][]byte{"certs/web.pem": a.Bundle()}, nil,
			"Duplicate bind address", `binds ":443"`, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load(tlsInv(t, tc.body, tc.files), Options{Vars: tc.vars})
			var got *hcl.Diagnostic
			for _, d := range diags {
				if d.Summary == tc.summary {
					got = d
				}
			}
			if got == nil {
				t.Fatalf("no %q among:\n%s", tc.summary, describe(diags))
			}
			if got.Severity != hcl.DiagError || !strings.Contains(got.Detail, tc.detail) || got.Subject.Filename != "main.hcl" || got.Subject.Start.Line != tc.line {
				t.Errorf("got %s at %s: %s; want an error at main.hcl:%d containing %q", got.Summary, got.Subject, got.Detail, tc.line, tc.detail)
			}
			for _, key := range []certtest.Leaf{a, b} {
				if strings.Contains(fmt.Sprint(diags), strings.Split(string(key.Key), "\n")[1]) {
					t.Errorf("a diagnostic quotes a key: %s", describe(diags))
				}
			}
		})
	}
}

// An expired certificate loads: what it means is for validate, plan and drift to decide.
func TestExpiredCertificateLoads(t *testing.T) {
	a, _ := leaves(t, time.Now().Add(-time.Hour))
	_, diags := Load(tlsInv(t, `    certificate_file = "certs/web.pem"`, map[string][]byte{"certs/web.pem": a.Bundle()}), Options{})
	if len(diags) > 0 {
		t.Fatal(describe(diags))
	}
}
