package testbed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// Host is one test host: a systemd-in-Docker container reachable over SSH at Address.
type Host struct {
	Name        string // "h1", also its hostname
	Container   string // Docker container name
	Address     string // IP on the bed's network; sshd on port 22
	User        string // TestUser
	KeyFile     string // private key of User
	KnownHosts  string // the bed's known_hosts file
	HostKeyLine string // known_hosts lines of this host's real keys (one per key type)
	Release     string
	Docker      bool   // docker.io, docker-compose, rsyslog preinstalled
	Network     string // the bed's Docker network
}

// hostRunArgs are what a systemd host with an inner dockerd needs without --privileged (see
// docs/testbed.md).
var hostRunArgs = []string{
	"--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
	"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
	"--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm",
	"--cgroupns=private", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:exec",
	"--stop-signal", "SIGRTMIN+3",
}

func (b *Bed) runHost(ctx context.Context, h *Host, image string) error {
	vol := h.Container + "-docker"
	if _, err := docker(ctx, append(append([]string{"volume", "create"}, labelArgs(b.Prefix, b.Keep)...), vol)...); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	args := []string{"run", "-d", "--name", h.Container, "--hostname", h.Name,
		"--network", b.Network, "--ip", h.Address, "-v", vol + ":/var/lib/docker"}
	if b.Registry != nil {
		args = append(args, "--add-host", registryHost+":"+b.Registry.IP)
	}
	args = append(append(append(args, labelArgs(b.Prefix, b.Keep)...), hostRunArgs...), image)
	if _, err := docker(ctx, args...); err != nil {
		return fmt.Errorf("start host %s: %w", h.Name, err)
	}
	return nil
}

// prepareHost installs the bed's key for the test user and the registry CA, waits for sshd
// and reads the host's real keys.
func (b *Bed) prepareHost(ctx context.Context, h *Host, authorized []byte) error {
	script := `install -d -m700 -o tester -g tester /home/tester/.ssh &&
cat > /home/tester/.ssh/authorized_keys && chown tester: /home/tester/.ssh/authorized_keys &&
chmod 600 /home/tester/.ssh/authorized_keys`
	if _, err := h.ExecInput(ctx, bytes.NewReader(authorized), "sh", "-c", script); err != nil {
		return fmt.Errorf("install key on %s: %w", h.Name, err)
	}
	if b.Registry != nil {
		if err := b.Registry.trust(ctx, h); err != nil {
			return err
		}
	}
	if err := waitPort(ctx, h.Address+":22", 90*time.Second); err != nil {
		return fmt.Errorf("host %s (%s): sshd: %w", h.Name, h.Container, err)
	}
	line, err := readHostKeys(ctx, h.Container, h.Address)
	if err != nil {
		return err
	}
	h.HostKeyLine = line
	return nil
}

func waitPort(ctx context.Context, hostport string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not answering within %s: %w", hostport, limit, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitSSH waits until the test user can log in with strict host key checking and run true.
func (h *Host) WaitSSH(ctx context.Context, limit time.Duration) error {
	cfg, err := clientConfig(h.KnownHosts, h.KeyFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		attempt, stop := context.WithTimeout(ctx, 5*time.Second)
		err := sshAnswers(attempt, cfg, h.Address)
		stop()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("host %s (%s): ssh as %s not answering within %s: %w", h.Name, h.Address, h.User, limit, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Exec runs argv inside the host container with docker exec (as root, beside berth's SSH
// path) and returns its trimmed stdout: for asserting on host state independently of berth.
func (h *Host) Exec(ctx context.Context, argv ...string) (string, error) {
	return h.ExecInput(ctx, nil, argv...)
}

// ExecInput is Exec with stdin.
func (h *Host) ExecInput(ctx context.Context, stdin io.Reader, argv ...string) (string, error) {
	args := []string{"exec"}
	if stdin != nil {
		args = append(args, "-i")
	}
	out, err := dockerIn(ctx, stdin, append(append(args, h.Container), argv...)...)
	if err != nil {
		return "", fmt.Errorf("on host %s: %w", h.Name, err)
	}
	return out, nil
}

// State is the container's state as Docker reports it ("running", "paused", "exited").
func (h *Host) State(ctx context.Context) (string, error) {
	out, err := docker(ctx, "inspect", "-f", "{{.State.Status}}", h.Container)
	if err != nil {
		return "", fmt.Errorf("host %s: %w", h.Name, err)
	}
	return out, nil
}

// WaitBooted waits until systemd has finished booting the host (is-system-running --wait
// answers "running" or "degraded"), so that tests start from a settled host: with docker.io
// preinstalled, dockerd is up.
func (h *Host) WaitBooted(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	out, err := docker(ctx, "exec", h.Container, "sh", "-c", "systemctl is-system-running --wait; true")
	if err != nil {
		return fmt.Errorf("host %s: wait for boot: %w", h.Name, err)
	}
	if out != "running" && out != "degraded" {
		return fmt.Errorf("host %s: systemd says %q after boot", h.Name, out)
	}
	return nil
}
