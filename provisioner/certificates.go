package provisioner

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/inventory"
)

// CertificateFinding is a frontend certificate that has expired, or expires within its
// balancer's expiry_warning. It is judged on the certificate berth ships, offline: a host
// whose file has that content (same hash, which the plan checks) serves that certificate,
// and a host whose file differs has a change in the plan anyway.
type CertificateFinding struct {
	Balancer    string    `json:"balancer"`
	Frontend    string    `json:"frontend"`
	Hosts       []string  `json:"hosts"` // the balancer's hosts the run covers
	Fingerprint string    `json:"fingerprint"`
	NotAfter    time.Time `json:"not_after"`
	Expired     bool      `json:"expired"`
	// Left is what remains until NotAfter (negative once expired), at the plan's time.
	Left time.Duration `json:"-"`
	// Range is the frontend's certificate attribute, where diagnostics point.
	Range hcl.Range `json:"-"`
}

// CertificateFindings judges every frontend certificate of the balancers with a host that
// in selects, at now. Findings come in balancer, then frontend order.
func CertificateFindings(inv *inventory.Inventory, in func(host string) bool, now time.Time) []CertificateFinding {
	var out []CertificateFinding
	for _, bl := range inv.Balancers {
		hosts := slices.DeleteFunc(slices.Clone(bl.Hosts), func(h string) bool { return !in(h) })
		if len(hosts) == 0 {
			continue
		}
		for _, f := range bl.Frontends {
			if f.Certificate == nil {
				continue
			}
			st, left := cert.Status(f.Certificate.NotAfter, now, bl.ExpiryWarning)
			if st == cert.Valid {
				continue
			}
			out = append(out, CertificateFinding{Balancer: bl.Name, Frontend: f.Name, Hosts: hosts,
				Fingerprint: f.Certificate.Fingerprint, NotAfter: f.Certificate.NotAfter,
				Expired: st == cert.Expired, Left: left, Range: f.CertificateRange})
		}
	}
	return out
}

// String says what a finding is: 'certificate of frontend "web" (balancer "edge") expired
// on 2024-01-02 10:00 UTC (3 days ago)'.
func (f CertificateFinding) String() string {
	verb := "expires"
	if f.Expired {
		verb = "expired"
	}
	return fmt.Sprintf("certificate of frontend %q (balancer %q) %s on %s (%s)", f.Frontend, f.Balancer, verb,
		f.NotAfter.Format(cert.DateFormat), cert.Days(f.Left))
}

// CertificateDiags turns findings into diagnostics at the certificate attribute: a
// certificate expiring soon is a warning; an expired one has the given severity (validate
// refuses it, plan and apply warn and go on, drift counts it as drift).
func CertificateDiags(fs []CertificateFinding, expired hcl.DiagnosticSeverity) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range fs {
		rng := f.Range
		d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Certificate expires soon", Subject: &rng,
			Detail: fmt.Sprintf("The %s; renew it and point the frontend at the new bundle.", f)}
		if f.Expired {
			d.Severity, d.Summary = expired, "Certificate expired"
			d.Detail = fmt.Sprintf("The %s: clients refuse it. Renew it and apply.", f)
		}
		diags = append(diags, d)
	}
	return diags
}
