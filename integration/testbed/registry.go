package testbed

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	registryHost = "registry.test"
	registryPort = "5000"
	// WorkloadImage is pushed to every bed's registry: static busybox FROM scratch.
	WorkloadImage = "th-busybox:1"
)

// Registry is a bed's TLS registry (Debian's docker-registry). Hosts resolve registry.test to
// it and trust its CA through /etc/docker/certs.d/registry.test:5000/ca.crt.
type Registry struct {
	Address     string // "registry.test:5000", as the hosts see it
	IP          string // its address on the bed's network
	Image       string // "registry.test:5000/th-busybox:1", pushed at start
	Container   string
	PushAddress string // 127.0.0.1:PORT, where this machine pushes (its dockerd treats loopback as insecure)
	CACert      string // PEM of the CA the hosts trust
}

const registryConfig = `version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  tls:
    certificate: /etc/registry/registry.crt
    key: /etc/registry/registry.key
`

func startRegistry(ctx context.Context, log io.Writer, b *Bed, ip string) (*Registry, error) {
	ca, err := ensureTestCA(ctx)
	if err != nil {
		return nil, err
	}
	image, err := ensureRegistryImage(ctx, log)
	if err != nil {
		return nil, err
	}
	r := &Registry{Address: registryHost + ":" + registryPort, IP: ip, Container: b.Prefix + "-registry", CACert: ca.caCert()}
	if err := r.run(ctx, b, ca, image); err != nil {
		return nil, err
	}
	if err := r.waitReady(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	p, err := r.push(ctx, WorkloadImage, nil)
	if err != nil {
		return nil, err
	}
	r.Image = p.Ref
	return r, nil
}

func (r *Registry) run(ctx context.Context, b *Bed, ca testCA, image string) error {
	conf := filepath.Join(b.Dir, "registry")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return fmt.Errorf("registry config: %w", err)
	}
	for src, dst := range map[string]string{ca.certFile(): "registry.crt", ca.keyFile(): "registry.key"} {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("registry config: %w", err)
		}
		if err := os.WriteFile(filepath.Join(conf, dst), data, 0o644); err != nil {
			return fmt.Errorf("registry config: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(conf, "config.yml"), []byte(registryConfig), 0o644); err != nil {
		return fmt.Errorf("registry config: %w", err)
	}
	vol := r.Container + "-data"
	if _, err := docker(ctx, append(append([]string{"volume", "create"}, labelArgs(b.Prefix, b.Keep)...), vol)...); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	args := append([]string{"run", "-d", "--name", r.Container, "--network", b.Network, "--ip", r.IP,
		"-p", "127.0.0.1::" + registryPort, "-p", "127.0.0.1::" + authRegistryPort, "-v", conf + ":/etc/registry:ro", "-v", vol + ":/var/lib/registry"},
		labelArgs(b.Prefix, b.Keep)...)
	if _, err := docker(ctx, append(args, image, "/usr/bin/docker-registry", "serve", "/etc/registry/config.yml")...); err != nil {
		return fmt.Errorf("start registry: %w", err)
	}
	out, err := docker(ctx, "port", r.Container, registryPort+"/tcp")
	if err != nil || len(lines(out)) == 0 {
		return fmt.Errorf("registry published port: %v %q", err, out)
	}
	r.PushAddress = lines(out)[0]
	return nil
}

// waitReady polls /v2/ over TLS, verifying the certificate against the test CA.
func (r *Registry) waitReady(ctx context.Context, limit time.Duration) error {
	pemCA, err := os.ReadFile(r.CACert)
	if err != nil {
		return fmt.Errorf("registry CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: registryHost}}}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+r.PushAddress+"/v2/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry %s not ready within %s: %w", r.Container, limit, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// trust makes a host resolve and trust the registry (the name comes from --add-host).
func (r *Registry) trust(ctx context.Context, h *Host) error {
	pemCA, err := os.ReadFile(r.CACert)
	if err != nil {
		return fmt.Errorf("registry CA: %w", err)
	}
	dir := "/etc/docker/certs.d/" + r.Address
	_, err = h.ExecInput(ctx, strings.NewReader(string(pemCA)), "sh", "-c", "mkdir -p '"+dir+"' && cat > '"+dir+"/ca.crt'")
	if err != nil {
		return fmt.Errorf("trust registry on %s: %w", h.Name, err)
	}
	return nil
}
