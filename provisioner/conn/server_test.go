package conn

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

	"golang.org/x/crypto/ssh"
)

// testServer is an in-process SSH server that runs exec requests with the local /bin/sh,
// so the transport's real scripts run against real coreutils.
type testServer struct {
	t        *testing.T
	ln       net.Listener
	hostKey  ssh.Signer
	conf     *ssh.ServerConfig
	conns    atomic.Int32 // TCP connections accepted
	auths    atomic.Int32 // authentication attempts (any method)
	sudo     string       // "": no sudo handling; "nopasswd": strip the prefix; "password": refuse
	stall    bool         // accept TCP, never answer the handshake
	cutAfter int64        // >0: drop the connection and kill the command after this many stdin bytes
	mu       sync.Mutex
	lines    []string // command lines received
}

func newKey(t *testing.T) ssh.Signer {
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

// startServer accepts clientKey only.
func startServer(t *testing.T, clientKey ssh.PublicKey) *testServer {
	t.Helper()
	s := &testServer{t: t, hostKey: newKey(t)}
	s.conf = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			s.auths.Add(1)
			if clientKey != nil && string(k.Marshal()) == string(clientKey.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			s.auths.Add(1)
			return nil, errors.New("no passwords")
		},
	}
	s.conf.AddHostKey(s.hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go s.serve()
	return s
}

func (s *testServer) addr() (string, int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (s *testServer) serve() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.conns.Add(1)
		if s.stall {
			s.t.Cleanup(func() { nc.Close() })
			continue
		}
		go s.handle(nc)
	}
}

func (s *testServer) handle(nc net.Conn) {
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

// forward serves ProxyJump: a direct-tcpip channel to host:port.
func (s *testServer) forward(nch ssh.NewChannel) {
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

func (s *testServer) session(nc net.Conn, ch ssh.Channel, reqs <-chan *ssh.Request) {
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

func (s *testServer) run(nc net.Conn, ch ssh.Channel, line string) int {
	if rest, ok := strings.CutPrefix(line, "sudo -n -- "); ok && s.sudo != "" {
		if s.sudo == "password" {
			io.WriteString(ch.Stderr(), "sudo: a password is required\n")
			return 1
		}
		line = rest
	}
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		return 127
	}
	var n int64
	buf := make([]byte, 4096)
	for {
		k, err := ch.Read(buf)
		if s.cutAfter > 0 && n+int64(k) >= s.cutAfter {
			in.Write(buf[:s.cutAfter-n])
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

// knownHostsFor writes a known_hosts file trusting the servers' keys.
func knownHostsFor(t *testing.T, servers ...*testServer) string {
	t.Helper()
	var lines []string
	for _, s := range servers {
		host, port := s.addr()
		lines = append(lines, KnownHostLine(net.JoinHostPort(host, itoa(port)), s.hostKey.PublicKey()))
	}
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// clientKeyFile writes an unencrypted OpenSSH private key and returns its path and signer.
func clientKeyFile(t *testing.T) (string, ssh.Signer) {
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
