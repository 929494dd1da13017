package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// authRegistryPort is where the bed's second registry listens, beside the open one: same
// address (it shares the open registry's network namespace), same certificate, so hosts
// reach it as registry.test:5001 once they trust the CA for that port.
const authRegistryPort = "5001"

// AuthRegistry is a registry that wants a user name and password (htpasswd, bcrypt). The
// hosts do not trust it: an inventory's registry block gives them its CA (CACert).
type AuthRegistry struct {
	Address     string // "registry.test:5001"
	Container   string
	PushAddress string // 127.0.0.1:PORT on this machine
	CACert      string // PEM file of the CA that signed its certificate
	User        string
	dir         string // config and htpasswd, mounted read-only
}

const authRegistryConfig = `version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :` + authRegistryPort + `
  tls:
    certificate: /etc/registry/registry.crt
    key: /etc/registry/registry.key
auth:
  htpasswd:
    realm: berth-test
    path: /etc/registry/htpasswd
`

// StartAuthRegistry runs the bed's authenticated registry with one user. The bed must have
// been started with a registry (Options.Registry).
func (b *Bed) StartAuthRegistry(ctx context.Context, user, password string) (*AuthRegistry, error) {
	if b.Registry == nil {
		return nil, errors.New("auth registry: the bed has no registry (Options.Registry)")
	}
	ca, err := ensureTestCA(ctx)
	if err != nil {
		return nil, err
	}
	image, err := ensureRegistryImage(ctx, nil)
	if err != nil {
		return nil, err
	}
	r := &AuthRegistry{Address: registryHost + ":" + authRegistryPort, Container: b.Prefix + "-registry-auth",
		CACert: ca.caCert(), User: user, dir: filepath.Join(b.Dir, "registry-auth")}
	if err := r.writeConfig(ca, password); err != nil {
		return nil, err
	}
	args := append([]string{"run", "-d", "--name", r.Container, "--network", "container:" + b.Registry.Container,
		"-v", r.dir + ":/etc/registry:ro"}, labelArgs(b.Prefix, b.Keep)...)
	if _, err := docker(ctx, append(args, image, "/usr/bin/docker-registry", "serve", "/etc/registry/config.yml")...); err != nil {
		return nil, fmt.Errorf("start auth registry: %w", err)
	}
	out, err := docker(ctx, "port", b.Registry.Container, authRegistryPort+"/tcp")
	if err != nil || len(lines(out)) == 0 {
		return nil, fmt.Errorf("auth registry published port: %v %q", err, out)
	}
	r.PushAddress = lines(out)[0]
	return r, nil
}

func (r *AuthRegistry) writeConfig(ca testCA, password string) error {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("auth registry config: %w", err)
	}
	for src, dst := range map[string]string{ca.certFile(): "registry.crt", ca.keyFile(): "registry.key"} {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("auth registry config: %w", err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, dst), data, 0o644); err != nil {
			return fmt.Errorf("auth registry config: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.dir, "config.yml"), []byte(authRegistryConfig), 0o644); err != nil {
		return fmt.Errorf("auth registry config: %w", err)
	}
	return r.writeHtpasswd(password)
}

func (r *AuthRegistry) writeHtpasswd(password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("htpasswd: %w", err)
	}
	return WriteFileAtomic(filepath.Join(r.dir, "htpasswd"), []byte(r.User+":"+string(hash)+"\n"), 0o644)
}

// SetPassword changes the user's password and restarts the registry so it reads it.
func (r *AuthRegistry) SetPassword(ctx context.Context, password string) error {
	if err := r.writeHtpasswd(password); err != nil {
		return err
	}
	if _, err := docker(ctx, "restart", "-t", "1", r.Container); err != nil {
		return fmt.Errorf("restart auth registry: %w", err)
	}
	return nil
}

// Push logs this machine's Docker in (a throwaway client configuration, the password on
// stdin) and pushes the workload image with files as name ("private/app:1"). It waits for
// the registry to answer first.
func (r *AuthRegistry) Push(ctx context.Context, password, name string, files map[string]string) (Pushed, error) {
	cfg, err := os.MkdirTemp("", "berth-testbed-docker-config-")
	if err != nil {
		return Pushed{}, err
	}
	defer os.RemoveAll(cfg)
	global := []string{"--config", cfg}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = dockerIn(ctx, strings.NewReader(password), append(global, "login", "-u", r.User, "--password-stdin", r.PushAddress)...)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err != nil {
		return Pushed{}, fmt.Errorf("log in to the auth registry: %w", err)
	}
	return pushImage(ctx, r.PushAddress, r.Address, global, name, files)
}
