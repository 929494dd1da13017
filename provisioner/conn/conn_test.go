package conn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/conn/conntest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

type fixture struct {
	srv *conntest.Server
	cfg *Config
}

// setup starts a server that trusts a fresh client key and a Config that trusts the server.
func setup(t *testing.T) fixture {
	t.Helper()
	keyFile, signer := conntest.ClientKeyFile(t)
	srv := conntest.Start(t, signer.PublicKey())
	host, port := srv.Addr()
	cfg := &Config{Name: "web-1", Address: host, Port: port, User: "deploy",
		IdentityFiles: []string{keyFile}, KnownHosts: []string{conntest.KnownHosts(t, srv)},
		ConnectTimeout: 5 * time.Second, Retries: 2}
	return fixture{srv, cfg}
}

func dial(t *testing.T, cfg *Config) *SSH {
	t.Helper()
	s, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRunQuotesArgvAndCountsRoundTrips(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	argv := []string{"printf", "%s|", "a b", "it's", "$(id)", "*"}
	res, err := s.Run(context.Background(), modules.Command{Argv: argv})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(res.Stdout), "a b|it's|$(id)|*|"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	res, err = s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "cat; echo err >&2; exit 7"}, Stdin: strings.NewReader("in\n")})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 || string(res.Stdout) != "in\n" || string(res.Stderr) != "err\n" {
		t.Errorf("got exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	if st := s.Stats(); st.RoundTrips != 2 || st.BytesOut != 3 {
		t.Errorf("stats %+v, want 2 round trips and 3 bytes out", st)
	}
}

func TestRunStreamsLines(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	var got []string
	_, err := s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "echo one; echo two >&2; printf three"},
		Stream: func(stream, line string) { got = append(got, stream+":"+line) }})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(got, ",")
	for _, w := range []string{"stdout:one", "stderr:two", "stdout:three"} {
		if !strings.Contains(joined, w) {
			t.Errorf("stream events %q lack %q", joined, w)
		}
	}
}

func TestRunCancelKillsCommand(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Run(ctx, modules.Command{Argv: []string{"sh", "-c", "echo started; exec sleep 600"},
		Stream: func(string, string) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestUnknownHostKeySendsNoCredential(t *testing.T) {
	f := setup(t)
	f.cfg.KnownHosts = []string{filepath.Join(t.TempDir(), "known_hosts")} // absent
	_, err := Dial(context.Background(), f.cfg)
	var uk *UnknownHostKeyError
	if !errors.As(err, &uk) {
		t.Fatalf("err = %v, want UnknownHostKeyError", err)
	}
	if want := ssh.FingerprintSHA256(f.srv.HostKey.PublicKey()); uk.Fingerprint != want || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not carry fingerprint %s", err, want)
	}
	if !strings.Contains(uk.Hint(), "berth hosts trust web-1") {
		t.Errorf("hint %q lacks the trust command", uk.Hint())
	}
	if n := f.srv.Auths.Load(); n != 0 {
		t.Errorf("%d authentication attempts reached the server, want 0", n)
	}
	if n := f.srv.Conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1 (no retry)", n)
	}
}

func TestChangedHostKeyRefusedLoudly(t *testing.T) {
	f := setup(t)
	host, port := f.srv.Addr()
	other := conntest.NewSigner(t).PublicKey()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(KnownHostLine(net.JoinHostPort(host, strconv.Itoa(port)), other)+"\n"), 0o644)
	f.cfg.KnownHosts = []string{kh}
	_, err := Dial(context.Background(), f.cfg)
	var ck *ChangedHostKeyError
	if !errors.As(err, &ck) || !strings.Contains(err.Error(), "man-in-the-middle") || !strings.Contains(err.Error(), kh+":1") {
		t.Fatalf("err = %v, want a loud ChangedHostKeyError naming %s:1", err, kh)
	}
	if n := f.srv.Auths.Load(); n != 0 {
		t.Errorf("%d authentication attempts reached the server, want 0", n)
	}
}

func TestRevokedHostKeyRefused(t *testing.T) {
	f := setup(t)
	line := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(f.srv.HostKey.PublicKey())))
	kh := f.cfg.KnownHosts[0]
	old, _ := os.ReadFile(kh)
	os.WriteFile(kh, append([]byte(line+"\n"), old...), 0o644)
	_, err := Dial(context.Background(), f.cfg)
	var ck *ChangedHostKeyError
	if !errors.As(err, &ck) || !ck.Revoked {
		t.Fatalf("err = %v, want revoked ChangedHostKeyError", err)
	}
}

func TestHashedKnownHostsEntry(t *testing.T) {
	f := setup(t)
	host, port := f.srv.Addr()
	addr := knownhosts.Normalize(net.JoinHostPort(host, strconv.Itoa(port)))
	line := knownhosts.HashHostname(addr) + " " + string(ssh.MarshalAuthorizedKey(f.srv.HostKey.PublicKey()))
	os.WriteFile(f.cfg.KnownHosts[0], []byte(line), 0o644)
	dial(t, f.cfg)
}

func TestAuthFailureIsNotRetried(t *testing.T) {
	f := setup(t)
	wrong, _ := conntest.ClientKeyFile(t)
	f.cfg.IdentityFiles, f.cfg.Retries = []string{wrong}, 3
	_, err := Dial(context.Background(), f.cfg)
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want AuthError", err)
	}
	if n := f.srv.Conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: an authentication failure must not be retried", n)
	}
}

func TestStalledHandshakeHitsDeadlineAndRetries(t *testing.T) {
	f := setup(t)
	f.srv.SetStall(true)
	f.cfg.ConnectTimeout, f.cfg.Retries = 200*time.Millisecond, 1
	_, err := Dial(context.Background(), f.cfg)
	if err == nil || !strings.Contains(err.Error(), "handshake did not complete") {
		t.Fatalf("err = %v, want handshake deadline", err)
	}
	if n := f.srv.Conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (one retry of connection setup)", n)
	}
}

func TestSudoPasswordIsAClearError(t *testing.T) {
	f := setup(t)
	f.srv.SetSudo("password")
	f.cfg.Become = true
	s := dial(t, f.cfg)
	_, err := s.Run(context.Background(), modules.Command{Argv: []string{"true"}})
	var se *SudoPasswordError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "sudo on web-1 needs a password") {
		t.Fatalf("Run err = %v, want SudoPasswordError", err)
	}
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.FileProbe("/")}); !errors.As(err, &se) {
		t.Fatalf("Observe err = %v, want SudoPasswordError", err)
	}
	if _, err := s.Run(context.Background(), modules.Command{Argv: []string{"true"}, NoBecome: true}); err != nil {
		t.Fatalf("NoBecome command: %v", err)
	}
}

func TestSecretsNeverOnCommandLine(t *testing.T) {
	f := setup(t)
	f.srv.SetSudo("nopasswd")
	f.cfg.Become = true
	s := dial(t, f.cfg)
	dst := filepath.Join(t.TempDir(), "app.env")
	secret := "PASSWORD=hunter2-" + strconv.Itoa(os.Getpid())
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: dst, Content: []byte(secret), Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.ContentProbe(dst)}); err != nil {
		t.Fatal(err)
	}
	lines := f.srv.Lines()
	for i, l := range lines {
		if !strings.HasPrefix(l, pidPrefix) {
			t.Errorf("command line %q lacks the pid report", l)
		}
		l = strings.TrimPrefix(l, pidPrefix)
		lines[i] = l
		if strings.Contains(l, "hunter2") {
			t.Errorf("secret on a command line: %q", l)
		}
		if !strings.HasPrefix(l, "sudo -n -- ") {
			t.Errorf("command line %q lacks the become prefix", l)
		}
	}
	if lines[1] != "sudo -n -- sh -s" {
		t.Errorf("observe command line %q, want the script on stdin", lines[1])
	}
}

func TestObserve(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("hello\n"), 0o640)
	os.Chmod(file, 0o640)
	probes := []modules.Probe{modules.ContentProbe(file), modules.FileProbe(dir), modules.FileProbe(filepath.Join(dir, "none")),
		modules.CmdProbe("sh", "-c", "printf 'out'; printf 'err' >&2; exit 3"), modules.CmdProbe("berth-no-such-command")}
	res, err := s.Observe(context.Background(), probes)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Exists || r.IsDir || r.Mode != 0o640 || r.Size != 6 || string(r.Data) != "hello\n" || r.Owner != "root" ||
		r.SHA256 != "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" {
		t.Errorf("file probe: %+v", r)
	}
	if r := res[1]; !r.Exists || !r.IsDir || r.SHA256 != "" {
		t.Errorf("dir probe: %+v", r)
	}
	if res[2].Exists {
		t.Errorf("absent path reported as existing")
	}
	if r := res[3]; r.ExitCode != 3 || string(r.Stdout) != "out" || string(r.Stderr) != "err" || r.Missing {
		t.Errorf("command probe: %+v", r)
	}
	if !res[4].Missing {
		t.Errorf("missing command not reported: %+v", res[4])
	}
	if n := s.Stats().RoundTrips; n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
}

func TestWriteFileAtomicModeAndVerified(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	dst := filepath.Join(t.TempDir(), "sub", "dir", "conf")
	w := modules.FileWrite{Path: dst, Content: []byte("v1\n"), Mode: 0o640, Group: "0", MkdirParents: true}
	if err := s.WriteFile(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dst)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("stat %s: %v %v", dst, st, err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "v1\n" {
		t.Errorf("content %q", b)
	}
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: "relative/x"}); err == nil {
		t.Errorf("relative path accepted")
	}
}

func TestCutUploadLeavesOldFileAndNextWriteCleans(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "big")
	os.WriteFile(dst, []byte("old"), 0o600)
	f.srv.SetCutAfter(300 << 10)
	s := dial(t, f.cfg)
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: dst, Content: big, Mode: 0o600}); err == nil {
		t.Fatal("write over a cut connection succeeded")
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Fatalf("old file damaged: %d bytes", len(b))
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".berth-tmp-big.*")); len(tmps) != 1 {
		t.Fatalf("want the killed write's temp file left behind, found %q", tmps)
	}
	f.srv.SetCutAfter(0)
	s2 := dial(t, f.cfg)
	if err := s2.WriteFile(context.Background(), modules.FileWrite{Path: dst, Content: big, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".berth-tmp-*")); len(tmps) != 0 {
		t.Errorf("stale temp files remain: %q", tmps)
	}
	if st, _ := os.Stat(dst); st.Size() != 1<<20 {
		t.Errorf("new file has %d bytes", st.Size())
	}
}

func TestProxyJumpVerifiesEveryHop(t *testing.T) {
	keyFile, signer := conntest.ClientKeyFile(t)
	jump, target := conntest.Start(t, signer.PublicKey()), conntest.Start(t, signer.PublicKey())
	jh, jp := jump.Addr()
	th, tp := target.Addr()
	cfg := &Config{Name: "db-1", Address: th, Port: tp, User: "deploy", IdentityFiles: []string{keyFile},
		KnownHosts: []string{conntest.KnownHosts(t, jump, target)},
		Jump:       []*Config{{Name: "bastion", Address: jh, Port: jp, User: "deploy", IdentityFiles: []string{keyFile}, KnownHosts: []string{conntest.KnownHosts(t, jump)}}}}
	s := dial(t, cfg)
	if res, err := s.Run(context.Background(), modules.Command{Argv: []string{"echo", "ok"}}); err != nil || string(res.Stdout) != "ok\n" {
		t.Fatalf("through jump: %q %v", res.Stdout, err)
	}
	if target.Conns.Load() != 1 || jump.Conns.Load() != 1 {
		t.Errorf("connections: jump %d target %d, want 1 each", jump.Conns.Load(), target.Conns.Load())
	}
	cfg.Jump[0].KnownHosts = []string{conntest.KnownHosts(t, target)} // the jump's key is unknown now
	_, err := Dial(context.Background(), cfg)
	var uk *UnknownHostKeyError
	if !errors.As(err, &uk) || uk.Host != "bastion" {
		t.Fatalf("err = %v, want the jump host's key refused", err)
	}
}

func TestFetchHostKeyAndAppend(t *testing.T) {
	f := setup(t)
	f.cfg.KnownHosts = []string{filepath.Join(t.TempDir(), "known_hosts")}
	key, err := FetchHostKey(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ssh.FingerprintSHA256(key) != ssh.FingerprintSHA256(f.srv.HostKey.PublicKey()) {
		t.Fatalf("fetched another key")
	}
	if n := f.srv.Auths.Load(); n != 0 {
		t.Errorf("fetching the key attempted authentication %d times", n)
	}
	if err := AppendKnownHost(f.cfg.KnownHosts[0], f.cfg.Addr(), key); err != nil {
		t.Fatal(err)
	}
	dial(t, f.cfg)
}

func TestKeepaliveClosesAFrozenConnection(t *testing.T) {
	f := setup(t)
	f.cfg.KeepAlive = 20 * time.Millisecond
	s := dial(t, f.cfg)
	defer f.srv.SetFreeze(false)
	_, err := s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "echo started; exec sleep 30"},
		Stream: func(string, string) { f.srv.SetFreeze(true) }})
	if err == nil {
		t.Fatal("a command on a frozen host returned without error")
	}
	if _, err := s.Run(context.Background(), modules.Command{Argv: []string{"true"}}); err == nil {
		t.Error("the connection is still in use after keepalives went unanswered")
	}
}

// TestCancelKillsTheRemoteProcessGroup: sshd leaves a command running when its session
// closes, so cancelling must kill it on the host.
func TestCancelKillsTheRemoteProcessGroup(t *testing.T) {
	f := setup(t)
	s := dial(t, f.cfg)
	marker := filepath.Join(t.TempDir(), "still-running")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Run(ctx, modules.Command{Argv: []string{"sh", "-c", "echo started; sleep 2; touch " + marker},
		Stream: func(string, string) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// The group is gone once killGroup returned; a survivor would still create the marker.
	res, err := s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "sleep 3; test -e " + marker}})
	if err != nil || res.ExitCode == 0 {
		t.Errorf("the cancelled command kept running on the host (%v, exit %d)", err, res.ExitCode)
	}
}

func TestPidCatcherStripsOnlyTheMarker(t *testing.T) {
	var b strings.Builder
	p := newPidCatcher(&b)
	for _, chunk := range []string{"@@berth-", "pid 4242\nreal ", "stderr\n"} {
		p.Write([]byte(chunk))
	}
	p.flush()
	if p.get() != 4242 || b.String() != "real stderr\n" {
		t.Errorf("pid %d, passed %q", p.get(), b.String())
	}
	b.Reset()
	p = newPidCatcher(&b)
	p.Write([]byte("bash: no such shell"))
	p.flush()
	if p.get() != 0 || b.String() != "bash: no such shell" {
		t.Errorf("without marker: pid %d, passed %q", p.get(), b.String())
	}
}

func TestCertAuthorityHostCertificate(t *testing.T) {
	f := setup(t)
	ca := conntest.NewSigner(t)
	host, port := f.srv.Addr()
	f.srv.AddHostCertificate(t, ca, host)
	pattern := knownhosts.Normalize(net.JoinHostPort(host, strconv.Itoa(port))) // [127.0.0.1]:PORT
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte("@cert-authority "+pattern+" "+string(ssh.MarshalAuthorizedKey(ca.PublicKey()))), 0o644)
	f.cfg.KnownHosts = []string{kh}
	dial(t, f.cfg)

	other := conntest.NewSigner(t) // a CA we do not trust: the host is unknown, not "changed"
	os.WriteFile(kh, []byte("@cert-authority "+pattern+" "+string(ssh.MarshalAuthorizedKey(other.PublicKey()))), 0o644)
	before := f.srv.Auths.Load()
	_, err := Dial(context.Background(), f.cfg)
	var uk *UnknownHostKeyError
	if !errors.As(err, &uk) || uk.Fingerprint != ssh.FingerprintSHA256(f.srv.HostKey.PublicKey()) {
		t.Fatalf("err = %v, want UnknownHostKeyError with the host's own key", err)
	}
	if n := f.srv.Auths.Load() - before; n != 0 {
		t.Errorf("%d authentication attempts, want 0", n)
	}
}
