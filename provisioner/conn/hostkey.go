package conn

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys checks a host's key against known_hosts and reports whether it did accept one,
// which is how Dial tells a setup error (retry) from an authentication error (never retry).
type hostKeys struct {
	cfg      *Config
	db       ssh.HostKeyCallback
	certs    map[string]bool // "file:line" of @cert-authority entries
	accepted atomic.Bool
}

func newHostKeys(cfg *Config) (*hostKeys, error) {
	var files []string
	// The files as they are now: trusting a key changes one (size, time, inode: an atomic
	// rewrite is a new inode). Stat, not read: at N hosts sharing one file of N lines,
	// reading and hashing it per connection is N² bytes (60 MB at N=1000).
	key := sha256.New()
	for _, f := range cfg.KnownHosts {
		fi, err := os.Stat(f)
		switch {
		case err == nil:
			files = append(files, f)
			fmt.Fprintf(key, "%s\x00%d\x00%d\x00%d\x00", f, fi.Size(), fi.ModTime().UnixNano(), inode(fi))
		case !os.IsNotExist(err):
			return nil, fmt.Errorf("host %s: known_hosts %s: %w", cfg.Name, f, err)
		}
	}
	kh, err := parsedKnownHosts(string(key.Sum(nil)), files)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", cfg.Name, err)
	}
	return &hostKeys{cfg: cfg, db: kh.db, certs: kh.certs}, nil
}

// knownHostsSet is a parsed set of known_hosts files; its callback only reads, so every
// connection of the run can share it.
type knownHostsSet struct {
	db    ssh.HostKeyCallback
	certs map[string]bool
}

// knownHostsCache parses each set of known_hosts files once per process: a fleet of N hosts
// sharing one file would otherwise parse it N times and hold N² entries (11 MB at N=200).
var knownHostsCache sync.Map // key (SHA-256 of the files' names and content) -> *knownHostsSet

func parsedKnownHosts(key string, files []string) (*knownHostsSet, error) {
	if v, ok := knownHostsCache.Load(key); ok {
		return v.(*knownHostsSet), nil
	}
	db, err := knownhosts.New(files...)
	if err != nil {
		return nil, err
	}
	certs, err := certAuthorityLines(files)
	if err != nil {
		return nil, err
	}
	v, _ := knownHostsCache.LoadOrStore(key, &knownHostsSet{db: db, certs: certs})
	return v.(*knownHostsSet), nil
}

// certAuthorityLines finds the @cert-authority entries: the library reports them among the
// keys "on file" for a host, but a plain key can never match them.
func certAuthorityLines(files []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "@cert-authority") {
				out[fmt.Sprintf("%s:%d", f, i+1)] = true
			}
		}
	}
	return out, nil
}

// plainWants drops @cert-authority entries from a KeyError's list.
func (h *hostKeys) plainWants(ke *knownhosts.KeyError) []knownhosts.KnownKey {
	var out []knownhosts.KnownKey
	for _, w := range ke.Want {
		if !h.certs[fmt.Sprintf("%s:%d", w.Filename, w.Line)] {
			out = append(out, w)
		}
	}
	return out
}

// check is the ssh.HostKeyCallback. It runs during key exchange, before authentication.
func (h *hostKeys) check(_ string, remote net.Addr, key ssh.PublicKey) error {
	err := h.db(h.cfg.Addr(), remote, key)
	if err == nil {
		h.accepted.Store(true)
		return nil
	}
	fp := ssh.FingerprintSHA256(key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return &ChangedHostKeyError{Host: h.cfg.Name, Addr: h.cfg.Addr(), Fingerprint: fp, Revoked: true,
			Known: []string{fmt.Sprintf("%s:%d", re.Revoked.Filename, re.Revoked.Line)}}
	case errors.As(err, &ke) && len(h.plainWants(ke)) > 0:
		e := &ChangedHostKeyError{Host: h.cfg.Name, Addr: h.cfg.Addr(), Fingerprint: fp}
		for _, w := range h.plainWants(ke) {
			e.Known = append(e.Known, fmt.Sprintf("%s:%d", w.Filename, w.Line))
		}
		return e
	case errors.As(err, &ke):
		if h.cfg.AcceptNew && len(h.cfg.KnownHosts) > 0 {
			if err := AppendKnownHost(h.cfg.KnownHosts[0], h.cfg.Addr(), key); err != nil {
				return err
			}
			h.accepted.Store(true)
			return nil
		}
		return &UnknownHostKeyError{Host: h.cfg.Name, Addr: h.cfg.Addr(), Fingerprint: fp,
			KeyType: key.Type(), KnownHosts: h.cfg.KnownHosts}
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		// A certificate no trusted authority vouches for (or outside its principals or
		// validity): as good as an unknown key, and never retried.
		return &UnknownHostKeyError{Host: h.cfg.Name, Addr: h.cfg.Addr(), Fingerprint: ssh.FingerprintSHA256(cert.Key),
			KeyType: cert.Type(), KnownHosts: h.cfg.KnownHosts, Detail: err.Error()}
	}
	return fmt.Errorf("host %s: check host key: %w", h.cfg.Name, err)
}

// algorithms lists the host key algorithms of the keys on file for this host, so that the
// server presents a key we can check rather than its preferred one. Nil (the library's
// default order) when none is on file or only a @cert-authority matches.
func (h *hostKeys) algorithms() []string {
	probe := probeKey{}
	err := h.db(h.cfg.Addr(), &net.TCPAddr{IP: net.IPv4zero}, probe)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var certs, plain []string
	if len(ke.Want) > len(h.plainWants(ke)) {
		certs = []string{ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01,
			ssh.CertAlgoECDSA521v01, ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01}
	}
	set := map[string]bool{}
	for _, w := range h.plainWants(ke) {
		for _, a := range algorithmsFor(w.Key.Type()) {
			set[a] = true
		}
	}
	for a := range set {
		plain = append(plain, a)
	}
	sort.Strings(plain)
	return append(certs, plain...)
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// probeKey is a key that matches no entry, used to list the entries of a host.
type probeKey struct{}

func (probeKey) Type() string                        { return "berth-probe" }
func (probeKey) Marshal() []byte                     { return []byte("berth-probe-key") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
