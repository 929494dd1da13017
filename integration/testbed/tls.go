package testbed

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// testCA is the cached test CA and the registry's certificate it signed, as PEM files in dir.
type testCA struct{ dir string }

func (c testCA) caCert() string   { return filepath.Join(c.dir, "ca.crt") }
func (c testCA) certFile() string { return filepath.Join(c.dir, "registry.crt") }
func (c testCA) keyFile() string  { return filepath.Join(c.dir, "registry.key") }

// ensureTestCA makes (once, under a lock) a CA and a certificate for registry.test and
// 127.0.0.1 signed by it. The CA key is not kept: nothing else is ever signed.
func ensureTestCA(ctx context.Context) (testCA, error) {
	dir, err := cachePath("tls")
	if err != nil {
		return testCA{}, err
	}
	c := testCA{dir}
	if exists(c.keyFile()) {
		return c, nil
	}
	unlock, err := lockFile(ctx, "tls.lock")
	if err != nil {
		return c, err
	}
	defer unlock()
	if exists(c.keyFile()) {
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c, fmt.Errorf("create %s: %w", dir, err)
	}
	return c, c.generate()
}

func (c testCA) generate() error {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := certTemplate(1, "berth test CA")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("make test CA: %w", err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := certTemplate(2, registryHost)
	tmpl.DNSNames = []string{registryHost}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("make registry certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode registry key: %w", err)
	}
	// The key is written last: its presence means the set is complete.
	for _, f := range []struct {
		path, kind string
		der        []byte
		mode       os.FileMode
	}{{c.caCert(), "CERTIFICATE", caDER, 0o644}, {c.certFile(), "CERTIFICATE", der, 0o644},
		{c.keyFile(), "PRIVATE KEY", keyDER, 0o644}} {
		// 0644 on the key: the registry runs as an unprivileged user; it is a test key.
		if err := WriteFileAtomic(f.path, pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der}), f.mode); err != nil {
			return err
		}
	}
	return nil
}

func certTemplate(serial int64, cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
	}
}
