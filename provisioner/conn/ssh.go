package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSH is one host reached over one SSH connection. It is safe for concurrent use; every
// command is its own session on the connection.
type SSH struct {
	runner
	cfg    Config
	client *ssh.Client
	hops   []*ssh.Client
	stats  counter

	sftpOnce sync.Once
	sftp     *sftp.Client
	sftpErr  error

	closeOnce sync.Once
	done      chan struct{}
}

var _ modules.Host = (*SSH)(nil)

func newSSH(cfg *Config, cl *ssh.Client, hops []*ssh.Client) *SSH {
	s := &SSH{cfg: *cfg, client: cl, hops: hops, done: make(chan struct{})}
	s.runner = runner{name: cfg.Name, become: cfg.Become, sh: s, stats: &s.stats}
	go s.keepalive()
	return s
}

// Config returns the settings the connection was made with.
func (s *SSH) Config() Config { return s.cfg }

// exec runs line in a new session. Cancelling ctx signals the command and closes the
// session, so a stuck command never outlives its deadline.
func (s *SSH) exec(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sess, err := s.client.NewSession()
	if err != nil {
		return -1, fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	if err := sess.Start(line); err != nil {
		return -1, fmt.Errorf("start: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return -1, ctx.Err()
	}
	return exitCode(err)
}

func exitCode(err error) (int, error) {
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ee.Signal() == "":
		return ee.ExitStatus(), nil
	case errors.As(err, &ee):
		return -1, fmt.Errorf("killed by signal %s", ee.Signal())
	}
	var em *ssh.ExitMissingError
	if errors.As(err, &em) {
		return -1, errors.New("connection lost before the command's exit status arrived")
	}
	return -1, err
}

// SFTP returns the SFTP client on this connection, opened on first use.
func (s *SSH) SFTP() (*sftp.Client, error) {
	s.sftpOnce.Do(func() {
		s.sftp, s.sftpErr = sftp.NewClient(s.client)
		if s.sftpErr != nil {
			s.sftpErr = fmt.Errorf("open sftp on %s: %w", s.name, s.sftpErr)
		}
	})
	return s.sftp, s.sftpErr
}

// keepalive sends keepalive@openssh.com every KeepAlive; a host that does not answer
// within three intervals has its connection closed, which fails every pending command.
func (s *SSH) keepalive() {
	t := time.NewTicker(s.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case err := <-reply:
			if err != nil {
				s.Close()
				return
			}
		case <-time.After(3 * s.cfg.KeepAlive):
			s.Close()
			return
		case <-s.done:
			return
		}
	}
}

// Stats returns what this connection cost so far.
func (s *SSH) Stats() Stats { return s.stats.snapshot() }

// Close ends the SFTP client, the connection and the jump hosts' connections.
func (s *SSH) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.sftp != nil {
			s.sftp.Close()
		}
		err = s.client.Close()
		for i := len(s.hops) - 1; i >= 0; i-- {
			s.hops[i].Close()
		}
	})
	return err
}
