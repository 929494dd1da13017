package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
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
	cfg Config
	// client is nil once the connection is closed (see Close): read it with sshClient.
	cmu    sync.RWMutex
	client *ssh.Client
	hops   []*ssh.Client
	stats  counter

	sftpOnce sync.Once
	sftp     *sftp.Client
	sftpErr  error

	closeOnce sync.Once
	done      chan struct{}
	// tcp is the connection on the wire (the first jump host's when there are hops), for
	// Abort.
	tcp net.Conn

	// inRun is set between a run's begin and end entries of the host's journal (Journal):
	// only then can a change be handed to the host (CanDetach).
	// JobProgress, when set, receives each journal line of a job the host carries out
	// (Detach), for the live view and --json.
	JobProgress func(line string)

	jmu    sync.Mutex
	inRun  bool
	onHost int // jobs berth stopped waiting for (see HostOwnsRun)
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

// newSession opens a session, or gives up when ctx ends: opening waits for the host's answer,
// and a host whose network was cut never answers (keepalives close the connection only after
// a few intervals). A session that opens after the give-up is closed.
func (s *SSH) newSession(ctx context.Context) (*ssh.Session, error) {
	type opened struct {
		sess *ssh.Session
		err  error
	}
	ch := make(chan opened, 1)
	go func() {
		var sess *ssh.Session
		cl, err := s.sshClient()
		if err == nil {
			sess, err = cl.NewSession()
		}
		ch <- opened{sess, err}
	}()
	select {
	case o := <-ch:
		return o.sess, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.sess != nil {
				o.sess.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// exec runs line in a new session. The line first reports its process id on stderr (a
// marker line the client strips), then execs the command, so the remote command leads its
// own process group. Cancelling ctx kills that group from a second session (sshd does not
// kill a command when its session closes without a terminal), then closes the session.
func (s *SSH) exec(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sess, err := s.newSession(ctx)
	if err != nil {
		return -1, fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	pc := newPidCatcher(stderr)
	sess.Stdout, sess.Stderr = stdout, pc
	feed, err := stdinFeeder(sess, stdin)
	if err != nil {
		return -1, err
	}
	if err := sess.Start(pidPrefix + line); err != nil {
		return -1, fmt.Errorf("start: %w", err)
	}
	go feed()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
		pc.flush()
	case <-ctx.Done():
		s.killGroup(pc.wait(2 * time.Second))
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return -1, ctx.Err()
	}
	return exitCode(err)
}

// stdinFeeder returns what copies stdin to the command once it started. With sess.Stdin, a
// command that exits without reading all of its input (a lock found busy) races the copy:
// Wait then returns the copy's io.EOF instead of the exit status. As with os/exec, which
// ignores EPIPE on stdin, the exit status is what counts; the copy ends when the channel
// closes.
func stdinFeeder(sess *ssh.Session, stdin io.Reader) (func(), error) {
	if stdin == nil {
		return func() {}, nil
	}
	w, err := sess.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("stdin: %w", err)
	}
	return func() {
		io.Copy(w, stdin)
		w.Close()
	}, nil
}

// killScript ends a process group: TERM (sudo relays it to its command), up to a second
// to exit, then KILL. $1 is the group id. (dash's kill takes no "--": "-PGID" follows the
// signal directly.)
const killScript = `kill -TERM "-$1" 2>/dev/null || exit 0
i=0; while kill -0 "-$1" 2>/dev/null && [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "-$1" 2>/dev/null; exit 0`

// killGroup kills a cancelled command's process group on the host, through sudo when
// berth uses become (the group holds root processes), bounded by a few seconds.
func (s *SSH) killGroup(pid int) {
	if pid <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	line := modules.QuoteArgv([]string{"sh", "-c", killScript, "sh", strconv.Itoa(pid)})
	if s.become {
		line = "sudo -n -- " + line + " 2>/dev/null || " + line
	}
	cl, err := s.sshClient()
	if err != nil {
		return
	}
	sess, err := cl.NewSession()
	if err != nil {
		return
	}
	defer sess.Close()
	if sess.Start(line) != nil {
		return
	}
	done := make(chan struct{})
	go func() { sess.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
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
		var cl *ssh.Client
		if cl, s.sftpErr = s.sshClient(); s.sftpErr == nil {
			s.sftp, s.sftpErr = sftp.NewClient(cl)
		}
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
			cl, err := s.sshClient()
			if err == nil {
				_, _, err = cl.SendRequest("keepalive@openssh.com", true, nil)
			}
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
// Abort closes the connection and discards what the kernel still holds to send on it: a
// command whose request is queued while the host is unreachable must not run when the host
// comes back, after berth gave up on it (a runbook step that timed out, then failed). A plain
// Close lets the kernel go on retransmitting that request for minutes. The hosts behind a
// jump host get the same only up to the jump host: what it received, it delivers.
func (s *SSH) Abort() error {
	if t, ok := s.tcp.(*net.TCPConn); ok {
		t.SetLinger(0) // close sends a reset and drops the unsent bytes
	}
	return s.Close()
}

// Close ends the connection and lets go of it: a closed SSH keeps its stats and what its
// agent reported, not the connection's buffers, ciphers and agent session (about 30 KB a
// host), since a fleet's run holds its closed connections until it ends
// (docs/performance.md). Calls after Close fail with ErrClosed.
func (s *SSH) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.sftp != nil {
			s.sftp.Close()
		}
		s.cmu.Lock()
		err = s.client.Close()
		s.client = nil
		s.cmu.Unlock()
		for i := len(s.hops) - 1; i >= 0; i-- {
			s.hops[i].Close()
		}
		if a, ok := s.runner.sh.(*agentShell); ok {
			a.release()
		}
	})
	return err
}

// ErrClosed is the error of a call on a closed connection.
var ErrClosed = errors.New("connection closed")

// sshClient is the connection's client, or ErrClosed.
func (s *SSH) sshClient() (*ssh.Client, error) {
	s.cmu.RLock()
	defer s.cmu.RUnlock()
	if s.client == nil {
		return nil, fmt.Errorf("%s: %w", s.name, ErrClosed)
	}
	return s.client, nil
}
