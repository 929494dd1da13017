package conn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// errKeyCaptured stops a handshake as soon as the host presented its key.
var errKeyCaptured = errors.New("host key captured")

// FetchHostKey connects to the host (through its jump hosts, which must already be trusted)
// only to learn the key it presents; no credential is sent to it. A host certificate yields
// the certified key.
func FetchHostKey(ctx context.Context, c *Config) (ssh.PublicKey, error) {
	cfg := c.withDefaults()
	var via *ssh.Client
	for _, h := range cfg.Jump {
		hc := h.withDefaults()
		cl, _, err := connect(ctx, &hc, via)
		if err != nil {
			return nil, fmt.Errorf("host %s: through jump host %s: %w", cfg.Name, hc.Name, err)
		}
		defer cl.Close()
		via = cl
	}
	nc, err := dialTCP(ctx, &cfg, via)
	if err != nil {
		return nil, fmt.Errorf("host %s: dial %s: %w", cfg.Name, cfg.Addr(), err)
	}
	defer nc.Close()
	var key ssh.PublicKey
	conf := &ssh.ClientConfig{User: cfg.User, Timeout: cfg.ConnectTimeout,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { key = k; return errKeyCaptured }}
	_, _, _, err = handshake(ctx, nc, &cfg, conf)
	if key == nil {
		return nil, fmt.Errorf("host %s: fetch host key from %s: %w", cfg.Name, cfg.Addr(), err)
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		key = cert.Key // pin the host's own key, as the unknown-key error showed it
	}
	return key, nil
}

// KnownHostLine is the known_hosts line pinning key for host:port (a bare host name for
// port 22, [host]:port otherwise, as OpenSSH writes them).
func KnownHostLine(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
}

// AppendKnownHost adds a line for addr to a known_hosts file, atomically (the file is
// rewritten through a temp file and a rename, keeping its mode; new files are 0644).
func AppendKnownHost(file, addr string, key ssh.PublicKey) error {
	old, err := os.ReadFile(file)
	mode := os.FileMode(0o644)
	if err == nil {
		if st, serr := os.Stat(file); serr == nil {
			mode = st.Mode().Perm()
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", file, err)
	}
	content := string(old)
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	content += KnownHostLine(addr, key) + "\n"
	return writeFileAtomic(file, []byte(content), mode)
}

func writeFileAtomic(file string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	f, err := os.CreateTemp(dir, ".berth-tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(f.Name())
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), mode)
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// CheckKnown checks key against the host's known_hosts without connecting: nil when it is
// the key on file, else an *UnknownHostKeyError or a *ChangedHostKeyError.
func CheckKnown(c *Config, key ssh.PublicKey) error {
	cfg := c.withDefaults()
	cfg.AcceptNew = false
	hk, err := newHostKeys(&cfg)
	if err != nil {
		return err
	}
	return hk.check(cfg.Addr(), &net.TCPAddr{IP: net.IPv4zero}, key)
}
