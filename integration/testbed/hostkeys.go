package testbed

import (
	"context"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// readHostKeys reads the host keys a host generated at first boot, straight from its files
// (docker exec, not SSH, so nothing is trusted on first use), as known_hosts lines for addr.
func readHostKeys(ctx context.Context, container, addr string) (string, error) {
	out, err := docker(ctx, "exec", container, "sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub")
	if err != nil {
		return "", fmt.Errorf("read host keys of %s: %w", container, err)
	}
	var known []string
	for _, l := range lines(out) {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(l))
		if err != nil {
			return "", fmt.Errorf("parse host key of %s: %w", container, err)
		}
		known = append(known, knownhosts.Line([]string{addr}, key))
	}
	if len(known) == 0 {
		return "", fmt.Errorf("host %s has no host keys yet", container)
	}
	return strings.Join(known, "\n"), nil
}

func knownHostsCallback(path string) (ssh.HostKeyCallback, error) {
	cb, err := knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("load known_hosts %s: %w", path, err)
	}
	return cb, nil
}

// sshAnswers logs in as the test user with strict host key checking and runs true.
func sshAnswers(ctx context.Context, cfg *ssh.ClientConfig, addr string) error {
	d := net.Dialer{}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addr, "22"))
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl) // the handshake has no timeout of its own
	}
	sc, chans, reqs, err := ssh.NewClientConn(c, net.JoinHostPort(addr, "22"), cfg)
	if err != nil {
		c.Close()
		return err
	}
	client := ssh.NewClient(sc, chans, reqs)
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}
