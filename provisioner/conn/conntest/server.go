// Package conntest is an in-process SSH server for tests of the transport and of commands
// built on it, like net/http/httptest: it runs exec requests with the local /bin/sh, so the
// transport's real scripts run against real coreutils; it can refuse sudo, stall the
// handshake, cut a connection mid-upload and forward ProxyJump channels, and it counts
// connections and authentication attempts.
package conntest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Server is an in-process SSH server that runs exec requests with the local /bin/sh,
// so the transport's real scripts run against real coreutils.
type Server struct {
	t        *testing.T
	ln       net.Listener
	HostKey  ssh.Signer
	conf     *ssh.ServerConfig
	Conns    atomic.Int32 // TCP connections accepted
	Auths    atomic.Int32 // authentication attempts (any method)
	sudo     atomic.Value // string: "" no sudo handling; "nopasswd": strip the prefix; "password": refuse
	stall    atomic.Bool  // accept TCP, never answer the handshake
	cutAfter atomic.Int64 // >0: drop the connection and kill the command after this many stdin bytes
	freeze   atomic.Bool  // stop reading every connection, like a host that froze
	dir      string       // fake sudo lives here
	mu       sync.Mutex
	lines    []string // command lines received
}

// NewSigner returns a fresh ed25519 key.
func NewSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts a server that accepts clientKey only.
func Start(t *testing.T, clientKey ssh.PublicKey) *Server {
	t.Helper()
	s := &Server{t: t, HostKey: NewSigner(t), dir: t.TempDir()}
	s.conf = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			s.Auths.Add(1)
			if clientKey != nil && string(k.Marshal()) == string(clientKey.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			s.Auths.Add(1)
			return nil, errors.New("no passwords")
		},
	}
	s.conf.AddHostKey(s.HostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go s.serve()
	return s
}

// SetSudo puts a fake sudo first on the commands' PATH: "nopasswd" runs its command,
// "password" answers like sudo -n when it wants a password, "" leaves the real one.
func (s *Server) SetSudo(mode string) { s.sudo.Store(mode) }

// sudoDir holds a fake sudo for the current mode, first on the commands' PATH.
func (s *Server) sudoDir() string {
	mode, _ := s.sudo.Load().(string)
	script := "#!/bin/sh\n[ \"$1\" = -n ] && shift\n[ \"$1\" = -- ] && shift\nexec \"$@\"\n"
	switch mode {
	case "":
		return "/nonexistent"
	case "password":
		script = "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n"
	}
	dir := filepath.Join(s.dir, mode)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "sudo"), []byte(script), 0o755)
	return dir
}

// SetStall makes the server accept TCP connections and never answer the handshake.
func (s *Server) SetStall(on bool) { s.stall.Store(on) }

// SetCutAfter makes the server drop the connection (and kill the command, as a host that
// loses the link would) after n bytes of a command's stdin; 0 disables.
func (s *Server) SetCutAfter(n int64) { s.cutAfter.Store(n) }

// SetFreeze makes the server stop reading its connections (a frozen host, a dead link
// without a reset): nothing is answered, keepalives included, until it is unset.
func (s *Server) SetFreeze(on bool) { s.freeze.Store(on) }

// AddHostCertificate makes the server also present its key as a host certificate signed by
// ca, valid for principal.
func (s *Server) AddHostCertificate(t *testing.T, ca ssh.Signer, principal string) {
	t.Helper()
	cert := &ssh.Certificate{Key: s.HostKey.PublicKey(), CertType: ssh.HostCert, KeyId: "conntest",
		ValidPrincipals: []string{principal}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	cs, err := ssh.NewCertSigner(cert, s.HostKey)
	if err != nil {
		t.Fatal(err)
	}
	s.conf.AddHostKey(cs)
}

// Lines returns the command lines the server received, in order.
func (s *Server) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// Addr is the server's address and port.
func (s *Server) Addr() (string, int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (s *Server) serve() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.Conns.Add(1)
		if s.stall.Load() {
			s.t.Cleanup(func() { nc.Close() })
			continue
		}
		go s.handle(&freezableConn{Conn: nc, s: s})
	}
}

func (s *Server) handle(nc net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.conf)
	if err != nil {
		nc.Close()
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, creqs, err := nch.Accept()
			if err == nil {
				go s.session(nc, ch, creqs)
			}
		case "direct-tcpip":
			go s.forward(nch)
		default:
			nch.Reject(ssh.UnknownChannelType, "no")
		}
	}
}

// freezableConn blocks reads while the server is frozen.
type freezableConn struct {
	net.Conn
	s *Server
}

func (c *freezableConn) Read(p []byte) (int, error) {
	for c.s.freeze.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	return c.Conn.Read(p)
}

// forward serves ProxyJump: a direct-tcpip channel to host:port.
func (s *Server) forward(nch ssh.NewChannel) {
	var p struct {
		Host  string
		Port  uint32
		OHost string
		OPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	tc, err := net.Dial("tcp", net.JoinHostPort(p.Host, itoa(int(p.Port))))
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		tc.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	go func() { io.Copy(tc, ch); tc.Close() }()
	io.Copy(ch, tc)
	ch.Close()
}

func (s *Server) session(nc net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			req.Reply(false, nil)
			continue
		}
		line := string(req.Payload[4:])
		req.Reply(true, nil)
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.mu.Unlock()
		code := s.run(nc, ch, line)
		if code >= 0 {
			b := make([]byte, 4)
			binary.BigEndian.PutUint32(b, uint32(code))
			ch.SendRequest("exit-status", false, b)
		}
		return
	}
}

func (s *Server) run(nc net.Conn, ch ssh.Channel, line string) int {
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Env = append(os.Environ(), "PATH="+s.sudoDir()+":"+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		return 127
	}
	var n int64
	cut := s.cutAfter.Load()
	buf := make([]byte, 4096)
	for {
		k, err := ch.Read(buf)
		if cut > 0 && n+int64(k) >= cut {
			in.Write(buf[:cut-n])
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the host loses the process with the link
			cmd.Wait()
			nc.Close()
			return -1
		}
		n += int64(k)
		in.Write(buf[:k])
		if err != nil {
			break
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return 255
	}
	return 0
}

func itoa(i int) string { return strconv.Itoa(i) }

func pemEncode(b *pem.Block) []byte { return pem.EncodeToMemory(b) }

// KnownHosts writes a known_hosts file trusting the servers' keys.
func KnownHosts(t *testing.T, servers ...*Server) string {
	t.Helper()
	var lines []string
	for _, s := range servers {
		host, port := s.Addr()
		lines = append(lines, knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(host, itoa(port)))}, s.HostKey.PublicKey()))
	}
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// ClientKeyFile writes an unencrypted OpenSSH private key and returns its path and signer.
func ClientKeyFile(t *testing.T) (string, ssh.Signer) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(f, pemEncode(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := ssh.NewSignerFromKey(priv)
	return f, s
}
