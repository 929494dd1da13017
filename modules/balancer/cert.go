package balancer

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/secret"
)

// CertAddressPrefix starts the address of a frontend's certificate resource.
const CertAddressPrefix = "balancer.cert."

// certMode keeps the key readable by root alone: HAProxy loads it as root before dropping
// its privileges.
const certMode = 0o600

// CertResource is the certificate bundle of one TLS frontend on a balancer host (CertPath).
// It is observed by hash only, never read back, and every change it plans is sensitive:
// plans show the bundle's fingerprint and expiry, never its content. It applies in the
// balance phase, before the configuration that names it (see ConfigResource.Notify).
type CertResource struct {
	frontend string
	bundle   *cert.Bundle
}

var (
	_ modules.Resource = (*CertResource)(nil)
	_ modules.Phased   = (*CertResource)(nil)
	_ modules.Writer   = (*CertResource)(nil)
)

// NewCert returns the resource that installs b as the certificate of frontend.
func NewCert(frontend string, b *cert.Bundle) *CertResource {
	return &CertResource{frontend: frontend, bundle: b}
}

// CertAddress is the address of a frontend's certificate resource.
func CertAddress(frontend string) string { return CertAddressPrefix + frontend }

// Address implements modules.Resource.
func (r *CertResource) Address() string { return CertAddress(r.frontend) }

// Phase implements modules.Phased.
func (r *CertResource) Phase() int { return modules.PhaseBalance }

// Probes implements modules.Resource: metadata and hash, never the content.
func (r *CertResource) Probes() []modules.Probe {
	return []modules.Probe{modules.FileProbe(CertPath(r.frontend))}
}

// Diff implements modules.Resource.
func (r *CertResource) Diff(obs []modules.ProbeResult) []modules.Change {
	o := obs[0]
	c := modules.Change{Address: r.Address(), Op: OpWrite, Sensitive: true,
		After: fmt.Sprintf("%s, %04o %s:%s", r.bundle.Summary(), certMode, fileOwner, fileOwner)}
	switch {
	case !o.Exists:
		c.Action, c.Reason = modules.Create, "no certificate yet"
		return []modules.Change{c}
	case o.IsDir:
		c.Action, c.Reason, c.Before = modules.Replace, "a directory stands where the certificate belongs", "directory"
		return []modules.Change{c}
	}
	var why []string
	if o.SHA256 != sum(r.bundle.PEM) {
		why = append(why, "certificate differs")
	}
	if o.Mode != certMode || o.Owner != fileOwner || o.Group != fileOwner {
		why = append(why, fmt.Sprintf("mode %04o %s:%s, want %04o root:root", o.Mode, o.Owner, o.Group, certMode))
	}
	if len(why) == 0 {
		return nil
	}
	c.Action, c.Reason = modules.Update, strings.Join(why, "; ")
	c.Before = fmt.Sprintf("%s %dB %04o %s:%s", secret.Redacted, o.Size, o.Mode, o.Owner, o.Group)
	return []modules.Change{c}
}

// FileWrite implements modules.Writer: every change is this one write.
func (r *CertResource) FileWrite(modules.Change) (modules.FileWrite, error) {
	return modules.FileWrite{Path: CertPath(r.frontend), Content: []byte(r.bundle.PEM), Mode: certMode,
		Owner: fileOwner, Group: fileOwner, MkdirParents: true}, nil
}

// Apply implements modules.Resource. HAProxy reads the new file when the configuration's
// own change reloads it.
func (r *CertResource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	w, _ := r.FileWrite(c)
	return h.WriteFile(ctx, w)
}
