package inventory

import (
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/secret"
)

// Registry is a private image registry the selected hosts are logged in to, so that
// compose can pull from it. The password is a secret: it only ever travels on the stdin of
// `docker login` on the host.
type Registry struct {
	// Server is the registry as image references name it: "registry.example.com" or
	// "registry.example.com:5000".
	Server   string
	Username string
	Password secret.Bytes
	// CACert is a PEM certificate the host's Docker daemon trusts for this registry
	// (/etc/docker/certs.d/SERVER/ca.crt); nil leaves the daemon's trust alone.
	CACert    []byte
	DeclRange hcl.Range
}

// registryRule is a registry host with an optional port, as Docker image references spell
// it: lower-case DNS name or IPv4 address. It may not start with '-' (docker would read an
// option) and holds no '/' (that would be a repository path).
var registryRule = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)

func (l *loader) registries() {
	l.each("registry", registrySchema, l.registry)
}

func (l *loader) registry(h *Host, b *hcl.Block, a attrs) {
	r := &Registry{Server: b.Labels[0], DeclRange: b.DefRange}
	if !registryRule.MatchString(r.Server) {
		if !l.reported(b) {
			l.diags = append(l.diags, errorf(b.LabelRanges[0], "Invalid registry",
				"%s is not a registry host: write it as image references do, HOST or HOST:PORT (lower case, no scheme, no path).", quoteSafe(r.Server)))
		}
		return
	}
	for _, prev := range h.Registries {
		if prev.Server == r.Server {
			l.diags = append(l.diags, errorf(b.DefRange, "Duplicate registry",
				"Host %q is already logged in to %s by the registry block at %s.", h.Name, r.Server, prev.DeclRange.String()))
			return
		}
	}
	if a.str("username", &r.Username) && (r.Username == "" || hasControl(r.Username) || strings.Contains(r.Username, ":")) {
		a.fail("username", "Invalid registry user", "The user name may not be empty or hold ':', whitespace or control characters.")
	}
	a.secretOK["password"] = true
	var pw string
	if a.str("password", &pw) {
		if !a.secret["password"] {
			a.fail("password", "Registry password not sensitive",
				"The password must come from a variable declared sensitive = true (set from BERTH_VAR_..., a -var-file, from_command, or an encrypted file), never be written in the inventory.")
		}
		if pw == "" || strings.ContainsAny(pw, "\n\r") {
			a.fail("password", "Invalid registry password", "The password may not be empty or span lines.")
		}
		r.Password = secret.Bytes(pw)
	}
	var ca string
	if a.str("ca_cert", &ca) {
		if blk, _ := pem.Decode([]byte(ca)); blk == nil || blk.Type != "CERTIFICATE" {
			a.fail("ca_cert", "Invalid CA certificate", "ca_cert must be a PEM certificate (-----BEGIN CERTIFICATE-----), such as file(\"certs/ca.crt\").")
		} else if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			a.fail("ca_cert", "Invalid CA certificate", "ca_cert does not parse: %s.", err)
		} else {
			r.CACert = []byte(ca)
		}
	}
	h.Registries = append(h.Registries, r)
}
