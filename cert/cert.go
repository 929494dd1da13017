package cert

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/secret"
)

// Bundle is a parsed certificate bundle: the leaf certificate first, the rest of its chain,
// and the private key of the leaf.
type Bundle struct {
	// PEM is the bundle as shipped: certificates first, then the key.
	PEM secret.Bytes
	// Key is the private key's PEM block alone, kept to mask it in output.
	Key secret.Bytes
	// Fingerprint is the SHA-256 of the leaf certificate's DER, as openssl prints it
	// (upper-case hex pairs joined by ':').
	Fingerprint string
	NotAfter    time.Time
	// Subject is the leaf's common name, else its first DNS name, else "".
	Subject string
}

// Parse reads a PEM bundle: one or more CERTIFICATE blocks and exactly one private key
// (PKCS#8, PKCS#1 RSA or SEC 1 EC) whose public half is the first certificate's. Its errors
// say what is wrong without quoting the input.
func Parse(data []byte) (*Bundle, error) {
	var certs []*x509.Certificate
	var keyBlocks []*pem.Block
	rest := data
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch {
		case blk.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certificate %d does not parse: %s", len(certs)+1, sanitize(err))
			}
			certs = append(certs, c)
		case strings.HasSuffix(blk.Type, "PRIVATE KEY"):
			keyBlocks = append(keyBlocks, blk)
		}
	}
	switch {
	case len(certs) == 0 && len(keyBlocks) == 0:
		return nil, errors.New("not PEM: no -----BEGIN CERTIFICATE----- block and no private key")
	case len(certs) == 0:
		return nil, errors.New("no certificate: the bundle must hold the certificate chain (-----BEGIN CERTIFICATE-----) before the key")
	case len(keyBlocks) == 0:
		return nil, errors.New("no private key: the bundle must hold the certificate's key (-----BEGIN PRIVATE KEY-----) after the chain")
	case len(keyBlocks) > 1:
		return nil, fmt.Errorf("%d private keys: the bundle must hold exactly one", len(keyBlocks))
	}
	key, err := parseKey(keyBlocks[0])
	if err != nil {
		return nil, err
	}
	if !samePublic(certs[0].PublicKey, key.Public()) {
		return nil, errors.New("the private key does not match the certificate (the first certificate of the bundle must be the key's)")
	}
	sum := sha256.Sum256(certs[0].Raw)
	return &Bundle{
		PEM:         secret.Bytes(append([]byte(nil), data...)),
		Key:         secret.Bytes(pem.EncodeToMemory(keyBlocks[0])),
		Fingerprint: fingerprint(sum[:]),
		NotAfter:    certs[0].NotAfter.UTC(),
		Subject:     subject(certs[0]),
	}, nil
}

// parseKey tries the key encodings HAProxy reads.
func parseKey(blk *pem.Block) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("the private key (%s) does not parse as PKCS#8, PKCS#1 or EC; an encrypted key is not supported", blk.Type)
}

type equaler interface{ Equal(crypto.PublicKey) bool }

func samePublic(a, b crypto.PublicKey) bool {
	switch a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		e, ok := a.(equaler)
		return ok && e.Equal(b)
	}
	return false
}

// sanitize keeps an x509 error's message: they name the field at fault, never the bytes.
func sanitize(err error) string { return strings.TrimPrefix(err.Error(), "x509: ") }

func fingerprint(sum []byte) string {
	var b bytes.Buffer
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

func subject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	if len(c.IPAddresses) > 0 {
		return c.IPAddresses[0].String()
	}
	return ""
}

// Summary is what a plan shows of a bundle: never its content.
func (b *Bundle) Summary() string {
	s := fmt.Sprintf("%s, sha256 fingerprint %s, expires %s", secret.Redacted, b.Fingerprint, b.NotAfter.Format(DateFormat))
	if b.Subject != "" {
		s += " (" + b.Subject + ")"
	}
	return s
}

// DateFormat is how expiry dates are printed: UTC, to the minute.
const DateFormat = "2006-01-02 15:04 UTC"
