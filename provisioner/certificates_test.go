package provisioner

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/provisioner/schedule"
)

func tlsInventory(notAfter time.Time, window time.Duration) *inventory.Inventory {
	b := &cert.Bundle{Fingerprint: "AB:CD", NotAfter: notAfter, PEM: []byte("bundle")}
	rng := hcl.Range{Filename: "main.hcl", Start: hcl.Pos{Line: 12}, End: hcl.Pos{Line: 12}}
	return &inventory.Inventory{
		Hosts: []*inventory.Host{{Name: "lb-1", Address: "10.0.0.2"}, {Name: "lb-2"}},
		Balancers: []*inventory.Balancer{{Name: "edge", Hosts: []string{"lb-1", "lb-2"}, ExpiryWarning: window, Frontends: []inventory.Frontend{
			{Name: "web", Bind: ":443", Stack: "web", Port: "http", Certificate: b, CertificateRange: rng, RedirectHTTP: ":80"},
			{Name: "plain", Bind: ":8080", Stack: "web", Port: "http"},
		}}},
	}
}

func TestCertificateFindingsByClock(t *testing.T) {
	notAfter := time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)
	inv := tlsInventory(notAfter, 30*24*time.Hour)
	all := func(string) bool { return true }
	if fs := CertificateFindings(inv, all, notAfter.Add(-31*24*time.Hour)); len(fs) != 0 {
		t.Errorf("31 days before: %+v", fs)
	}
	fs := CertificateFindings(inv, all, notAfter.Add(-12*24*time.Hour))
	if len(fs) != 1 || fs[0].Expired || fs[0].String() != `certificate of frontend "web" (balancer "edge") expires on 2030-03-01 12:00 UTC (in 12 days)` {
		t.Fatalf("12 days before: %+v", fs)
	}
	d := CertificateDiags(fs, hcl.DiagError)
	if len(d) != 1 || d[0].Severity != hcl.DiagWarning || d[0].Summary != "Certificate expires soon" || d[0].Subject.Start.Line != 12 {
		t.Errorf("diags %+v", d)
	}
	fs = CertificateFindings(inv, func(h string) bool { return h == "lb-2" }, notAfter.Add(3*24*time.Hour))
	if len(fs) != 1 || !fs[0].Expired || strings.Join(fs[0].Hosts, ",") != "lb-2" || !strings.Contains(fs[0].String(), "expired on 2030-03-01 12:00 UTC (3 days ago)") {
		t.Fatalf("3 days after: %+v", fs)
	}
	if d := CertificateDiags(fs, hcl.DiagError); d[0].Severity != hcl.DiagError || d[0].Summary != "Certificate expired" {
		t.Errorf("expired diags %+v", d)
	}
	if fs := CertificateFindings(inv, func(string) bool { return false }, notAfter.Add(time.Hour)); len(fs) != 0 {
		t.Errorf("a balancer outside the run is judged: %+v", fs)
	}
	if fs := CertificateFindings(tlsInventory(notAfter, 0), all, notAfter.Add(-time.Hour)); len(fs) != 0 {
		t.Errorf("expiry_warning 0 still warns: %+v", fs)
	}
}

func TestPlanSaysExpiredCertificates(t *testing.T) {
	notAfter := time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)
	p := &Plan{Hosts: []*HostPlan{{Host: "lb-1"}}}
	p.Certificates = CertificateFindings(tlsInventory(notAfter, 0), func(string) bool { return true }, notAfter.AddDate(0, 0, 1))
	var b strings.Builder
	RenderWidth(&b, p, 200)
	want := "lb-1: no changes\nCertificates:\n  x certificate of frontend \"web\" (balancer \"edge\") expired on 2030-03-01 12:00 UTC (1 day ago), on lb-1, lb-2\nNo changes on 1 host. 1 certificate expired.\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if p.Expired() != 1 {
		t.Errorf("Expired() = %d", p.Expired())
	}
}

func TestBalancerResourcesShipCertificatesBeforeTheConfiguration(t *testing.T) {
	inv := tlsInventory(time.Now().Add(time.Hour), 0)
	rs, err := BalancerResources(inv, inv.Hosts[0], schedule.Assignment{})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, r := range rs {
		addrs = append(addrs, r.Address())
	}
	if got := strings.Join(addrs, " "); got != "package.haproxy balancer.cert.web balancer.haproxy.cfg service.haproxy" {
		t.Errorf("resources: %s", got)
	}
	cfg := BalancerConfig(inv, inv.Balancers, schedule.Assignment{})
	if f := cfg.Frontends[0]; f.Name != "web" || f.Certificate != balancer.CertPath("web") || f.RedirectHTTP != ":80" {
		t.Errorf("frontend %+v", f)
	}
	if f := cfg.Frontends[1]; f.Certificate != "" || f.RedirectHTTP != "" {
		t.Errorf("plain frontend %+v", f)
	}
}
