package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// listenPerDaemon is OpenSSH's MAX_LISTEN_SOCKS: one sshd listens on at most 16 addresses,
// so a fleet of N hosts is served by ceil(N/16) daemons sharing one configuration and key.
const listenPerDaemon = 16

// SSHD is the set of private sshd daemons serving a fleet.
type SSHD struct {
	procs []*exec.Cmd
}

// Keys are the files every client needs: the login key and the known_hosts lines.
type Keys struct {
	Identity   string // private key (ed25519, no passphrase)
	HostPub    string // "ssh-ed25519 AAAA..." of the bench host key
	KnownHosts string // known_hosts with one line per fleet address
}

// MakeKeys generates the host key and the login key under Dir/ssh (once; reused after).
func (f Fleet) MakeKeys() (Keys, error) {
	dir := filepath.Join(f.Dir, "ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Keys{}, fmt.Errorf("bench keys: %w", err)
	}
	for _, k := range []string{"host_ed25519", "id_ed25519"} {
		p := filepath.Join(dir, k)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "berth-bench", "-f", p).CombinedOutput()
		if err != nil {
			return Keys{}, fmt.Errorf("ssh-keygen %s: %v: %s", p, err, out)
		}
	}
	pub, err := readPub(filepath.Join(dir, "host_ed25519.pub"))
	if err != nil {
		return Keys{}, err
	}
	k := Keys{Identity: filepath.Join(dir, "id_ed25519"), HostPub: pub, KnownHosts: filepath.Join(dir, "known_hosts")}
	return k, testbed.WriteFileAtomic(k.KnownHosts, []byte(f.knownHosts(pub)), 0o644)
}

func readPub(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("bench keys: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return "", fmt.Errorf("bench keys: %s: not a public key", path)
	}
	return fields[0] + " " + fields[1], nil
}

func (f Fleet) knownHosts(pub string) string {
	var b strings.Builder
	for i := 1; i <= f.N; i++ {
		fmt.Fprintf(&b, "[%s]:%d %s\n", Addr(i), f.Port, pub)
	}
	return b.String()
}

// privateDirs are berth's per-host state directories (its host lock is /run/berth/lock).
var privateDirs = []string{"/var/lib/berth", "/run/berth"}

// wrapper gives every loopback host its own privateDirs, as separate machines have: it reads
// the address the client dialled from SSH_CONNECTION and runs the session in a private mount
// namespace with that host's state directories bound over them.
const wrapper = `#!/bin/sh
set -eu
addr=${SSH_CONNECTION#* * }
addr=${addr%% *}
state=@DIR@/state/$addr
mkdir -p "$state/var-lib-berth" "$state/run-berth"
exec unshare -m sh -c 'mount --bind "$1/var-lib-berth" /var/lib/berth && mount --bind "$1/run-berth" /run/berth && exec "${SHELL:-/bin/sh}" -c "${SSH_ORIGINAL_COMMAND:-exec sh}"' sh "$state"
`

// sshdConfig is one daemon's configuration. SetEnv SHLVL=1 keeps bash from reading the
// machine's ~/.bashrc for every session (bash does so for commands run by sshd only at shell
// level 1): on the machine of the first runs it ran `pyenv init`, about 100 ms of CPU per
// session and a lock that 1000 concurrent sessions waited on for 60 s, which measured the
// machine's root account, not the tools.
func (f Fleet) sshdConfig(keys Keys, first, last int) string {
	dir := filepath.Join(f.Dir, "ssh")
	var b strings.Builder
	for i := first; i <= last; i++ {
		fmt.Fprintf(&b, "ListenAddress %s:%d\n", Addr(i), f.Port)
	}
	fmt.Fprintf(&b, `HostKey %s/host_ed25519
AuthorizedKeysFile %s/id_ed25519.pub
PidFile none
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
MaxStartups 2000:100:4000
MaxSessions 1000
SetEnv SHLVL=1
LogLevel ERROR
Subsystem sftp /usr/lib/openssh/sftp-server
ForceCommand %s/session-wrapper
`, dir, dir, dir)
	return b.String()
}

// StartSSHD starts ceil(N/16) daemons for hosts 1..N and waits until every address answers.
// The daemons die with the calling process (parent-death signal) if Stop is never called.
func (f Fleet) StartSSHD(keys Keys, sshd string) (*SSHD, error) {
	dir := filepath.Join(f.Dir, "ssh")
	for _, d := range privateDirs { // mount points of the session wrapper
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("bench sshd: %w", err)
		}
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, fmt.Errorf("bench sshd: %w", err)
	}
	if err := testbed.WriteFileAtomic(filepath.Join(dir, "session-wrapper"), []byte(strings.ReplaceAll(wrapper, "@DIR@", f.Dir)), 0o755); err != nil {
		return nil, err
	}
	s := &SSHD{}
	for first := 1; first <= f.N; first += listenPerDaemon {
		last := min(first+listenPerDaemon-1, f.N)
		cfg := filepath.Join(dir, "sshd_config."+strconv.Itoa(first))
		if err := testbed.WriteFileAtomic(cfg, []byte(f.sshdConfig(keys, first, last)), 0o644); err != nil {
			s.Stop()
			return nil, err
		}
		cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
		log, err := os.OpenFile(filepath.Join(dir, "sshd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			s.Stop()
			return nil, fmt.Errorf("bench sshd: %w", err)
		}
		cmd.Stderr = log // never the caller's stderr: session processes may outlive the daemon
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		if err := cmd.Start(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("start %s -f %s: %w", sshd, cfg, err)
		}
		log.Close()
		s.procs = append(s.procs, cmd)
	}
	return s, f.waitListening(10 * time.Second)
}

func (f Fleet) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for i := 1; i <= f.N; i++ {
		addr := net.JoinHostPort(Addr(i), strconv.Itoa(f.Port))
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("bench sshd: %s does not answer: %w", addr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Stop terminates the daemons and waits for them.
func (s *SSHD) Stop() error {
	var errs []error
	for _, p := range s.procs {
		p.Process.Signal(syscall.SIGTERM)
		if err := p.Wait(); err != nil && !isSignalExit(err) {
			errs = append(errs, err)
		}
	}
	s.procs = nil
	return errors.Join(errs...)
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}
