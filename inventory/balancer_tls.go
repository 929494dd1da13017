package inventory

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/secret"
)

// frontendTLS reads a frontend's certificate (a bundle file in the inventory directory, which
// may be SOPS-encrypted, or a sensitive variable) and its HTTP redirect. A bundle that is not
// PEM, lacks its key or whose key is not the certificate's is an error at the attribute.
// Expiry is not judged here: it depends on the day, and plan, drift and validate each decide
// what an expired certificate means for them (see ExpiryFindings).
func (l *loader) frontendTLS(a attrs, b *hcl.Block, f *Frontend) {
	a.secretOK["certificate"] = true
	var data []byte
	switch {
	case a.has("certificate") && a.has("certificate_file"):
		l.diags = append(l.diags, errorf(b.DefRange, "Conflicting certificate",
			"Frontend %q takes certificate (from a sensitive variable) or certificate_file (a file in the inventory directory), not both.", f.Name))
		return
	case a.has("certificate_file"):
		var rel string
		if !a.str("certificate_file", &rel) {
			return
		}
		_, raw, err := readWithin(l.inv.Dir, rel)
		if err != nil {
			a.fail("certificate_file", "Cannot read certificate", "%s.", err)
			return
		}
		l.in.addFile(rel, raw)
		if data, _, err = l.openSecret(rel, raw); err != nil {
			a.fail("certificate_file", "Cannot decrypt certificate", "%s.", err)
			return
		}
		f.CertificateSource, f.CertificateRange = rel, a.rng("certificate_file", b.DefRange)
	case a.has("certificate"):
		var v string
		if !a.str("certificate", &v) {
			return
		}
		if !a.secret["certificate"] {
			a.fail("certificate", "Certificate not sensitive",
				"certificate holds the private key: it must come from a variable declared sensitive = true, or name a file with certificate_file = \"certs/%s.pem\".", f.Name)
			return
		}
		data, f.CertificateSource, f.CertificateRange = []byte(v), "variable", a.rng("certificate", b.DefRange)
	}
	if data != nil {
		l.parseCertificate(a, f, data)
	}
	if a.str("redirect_http", &f.RedirectHTTP) {
		if _, err := parseBind(f.RedirectHTTP); err != nil {
			a.fail("redirect_http", "Invalid bind address", "%s.", err)
		}
		if f.Certificate == nil && !a.has("certificate") && !a.has("certificate_file") {
			a.fail("redirect_http", "Redirect without a certificate",
				"redirect_http sends plain HTTP to this frontend over HTTPS: give the frontend a certificate_file (or certificate) first.")
		}
	}
}

func (l *loader) parseCertificate(a attrs, f *Frontend, data []byte) {
	name := "certificate"
	if f.CertificateSource != "variable" {
		name = "certificate_file"
	}
	b, err := cert.Parse(data)
	if err != nil {
		a.fail(name, "Invalid certificate", "%s of frontend %q: %s.", certWhere(f), f.Name, err)
		return
	}
	f.Certificate = b
}

// certWhere names a certificate's source for a message.
func certWhere(f *Frontend) string {
	if f.CertificateSource == "variable" {
		return "The certificate"
	}
	return quoteSafe(f.CertificateSource)
}

// expiryWarning reads an expiry_warning attribute: days ("30d") or a duration.
func expiryWarning(a attrs, dst *time.Duration) {
	var s string
	if !a.str("expiry_warning", &s) {
		return
	}
	d, err := cert.ParseWindow(s)
	if err != nil {
		a.fail("expiry_warning", "Invalid expiry warning", "%s.", err)
		return
	}
	*dst = d
}

// certificateKeys returns the private keys of every frontend certificate, to mask them.
func (inv *Inventory) certificateKeys() []secret.Bytes {
	var out []secret.Bytes
	for _, bl := range inv.Balancers {
		for _, f := range bl.Frontends {
			if f.Certificate != nil {
				out = append(out, f.Certificate.Key)
			}
		}
	}
	return out
}
