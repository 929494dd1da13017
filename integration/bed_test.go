package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/berth-dev/berth/integration/testbed"
)

// The bed must give real hosts of both releases: reachable with strict host key checking,
// systemd running, passwordless sudo, SFTP.
func TestBedHostsAnswerLikeRealHosts(t *testing.T) {
	bed := sharedBed(t, "mixed:2")
	if got := releases(bed); got != "bookworm,trixie" {
		t.Fatalf("releases %s, want bookworm,trixie", got)
	}
	for _, h := range bed.Hosts {
		t.Run(h.Name+"-"+h.Release, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := dial(ctx, h, bed.KnownHosts)
			if err != nil {
				t.Fatalf("strict SSH to %s: %v", h.Address, err)
			}
			defer c.Close()
			if out, _ := runSSH(c, "systemctl is-system-running"); out != "running" && out != "degraded" {
				t.Errorf("systemctl is-system-running: %q", out)
			}
			if out, err := runSSH(c, "sudo -n true && echo sudo-ok"); err != nil || out != "sudo-ok" {
				t.Errorf("sudo -n true: %q, %v", out, err)
			}
			if out, err := runSSH(c, ". /etc/os-release && echo $VERSION_CODENAME"); err != nil || out != h.Release {
				t.Errorf("os-release codename %q (%v), want %s", out, err, h.Release)
			}
			sftpRoundTrip(t, c, h)
		})
	}
}

// A known_hosts file with another key for the address, or without the address, must make the
// handshake fail: the bed's hosts are never reached without checking their key.
func TestBedHostKeyCheckingIsStrict(t *testing.T) {
	bed := sharedBed(t, "mixed:2")
	h := bed.Hosts[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	wrong, _ := ssh.NewPublicKey(pub)
	dir := t.TempDir()
	cases := map[string]string{
		"wrong key":    knownhosts.Line([]string{h.Address}, wrong) + "\n",
		"unknown host": bed.Hosts[1].HostKeyLine + "\n",
	}
	for name, content := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		os.WriteFile(path, []byte(content), 0o644)
		c, err := dial(ctx, h, path)
		if err == nil {
			c.Close()
			t.Fatalf("%s: connected to %s with a known_hosts that does not hold its key", name, h.Address)
		}
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			t.Fatalf("%s: want a knownhosts.KeyError, got %v", name, err)
		}
		if (name == "wrong key") != (len(ke.Want) > 0) {
			t.Errorf("%s: KeyError.Want = %v", name, ke.Want)
		}
	}
	if c, err := dial(ctx, h, bed.KnownHosts); err != nil { // and the right file still works
		t.Fatalf("after the rejected attempts: %v", err)
	} else {
		c.Close()
	}
}

func releases(b *testbed.Bed) string {
	var rs []string
	for _, h := range b.Hosts {
		rs = append(rs, h.Release)
	}
	return strings.Join(rs, ",")
}

// dial connects as the test user, checking the host key against knownHostsPath, with a
// deadline on the handshake (ClientConfig.Timeout covers only the TCP connect).
func dial(ctx context.Context, h *testbed.Host, knownHostsPath string) (*ssh.Client, error) {
	return dialWithin(ctx, h, knownHostsPath, 10*time.Second)
}

func dialWithin(ctx context.Context, h *testbed.Host, knownHostsPath string, limit time.Duration) (*ssh.Client, error) {
	check, err := knownhosts.New(knownHostsPath)
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(h.KeyFile)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{User: h.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: check}
	addr := net.JoinHostPort(h.Address, "22")
	d := net.Dialer{Timeout: limit}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(limit))
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// runSSH runs a command and returns its trimmed stdout.
func runSSH(c *ssh.Client, cmd string) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	var out bytes.Buffer
	s.Stdout = &out
	err = s.Run(cmd)
	return strings.TrimSpace(out.String()), err
}

// sftpRoundTrip writes a file over SFTP and reads it back, over SFTP and with docker exec.
func sftpRoundTrip(t *testing.T, c *ssh.Client, h *testbed.Host) {
	t.Helper()
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp on %s: %v", h.Name, err)
	}
	defer sc.Close()
	want := fmt.Sprintf("written over sftp to %s at %d\n", h.Name, time.Now().UnixNano())
	path := "/home/tester/sftp-probe.txt"
	f, err := sc.Create(path)
	if err != nil {
		t.Fatalf("sftp create: %v", err)
	}
	io.WriteString(f, want)
	if err := f.Close(); err != nil {
		t.Fatalf("sftp write: %v", err)
	}
	f, err = sc.Open(path)
	if err != nil {
		t.Fatalf("sftp open: %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != want {
		t.Errorf("sftp read back %q, want %q", got, want)
	}
	onHost, err := h.Exec(context.Background(), "cat", path)
	if err != nil || onHost+"\n" != want {
		t.Errorf("docker exec cat: %q, %v", onHost, err)
	}
	sc.Remove(path)
}

// Each fault handle must make the host fail the way a real one does, and undoing it must bring
// the host back at the same address with the same host keys.
func TestBedFaultHandles(t *testing.T) {
	bed := startBed(t, "bookworm:1")
	h := bed.Hosts[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	faults := []struct {
		name        string
		break_, fix func(context.Context) error
	}{
		{"ssh stopped", h.StopSSH, h.StartSSH},
		{"network cut", h.Disconnect, h.Reconnect},
		{"paused", h.Pause, h.Unpause},
		{"stopped", h.Stop, h.Start},
	}
	for _, f := range faults {
		if err := f.break_(ctx); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if c, err := dialWithin(ctx, h, bed.KnownHosts, 3*time.Second); err == nil {
			c.Close()
			t.Errorf("%s: host still accepts SSH", f.name)
		} else {
			t.Logf("%s: %v", f.name, err)
		}
		if err := f.fix(ctx); err != nil {
			t.Fatalf("undo %s: %v", f.name, err)
		}
		if err := h.WaitSSH(ctx, time.Minute); err != nil { // strict: same host keys
			t.Fatalf("after %s: %v", f.name, err)
		}
	}
	if err := h.KillSSHD(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.WaitSSH(ctx, time.Minute); err != nil {
		t.Fatalf("systemd did not bring sshd back: %v", err)
	}
}

// The registry serves what PushImage pushed, to hosts of both releases and both Docker
// generations; a new image under the same tag is what the hosts pull next.
func TestBedRegistryServesPushedImages(t *testing.T) {
	bed := sharedBed(t, "mixed-docker:2+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wantDocker := map[string]string{testbed.Bookworm: "20.10.", testbed.Trixie: "26.1."}
	wantCompose := map[string]string{testbed.Bookworm: "1.29.", testbed.Trixie: "2.26."}
	for _, h := range bed.Hosts {
		v := mustExec(ctx, t, h, "docker", "version", "--format", "{{.Server.Version}}")
		c := mustExec(ctx, t, h, "docker-compose", "version", "--short")
		if !strings.HasPrefix(v, wantDocker[h.Release]) || !strings.HasPrefix(c, wantCompose[h.Release]) {
			t.Errorf("%s (%s): docker %s, compose %s", h.Name, h.Release, v, c)
		}
		mustExec(ctx, t, h, "docker", "pull", "-q", bed.Registry.Image)
	}
	var digests []string
	for _, version := range []string{"one", "two"} {
		p, err := bed.PushImage(ctx, "th-probe:1", map[string]string{"etc/probe": version})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, p.Digest)
		for _, h := range bed.Hosts {
			mustExec(ctx, t, h, "docker", "pull", "-q", p.Ref)
			if got := mustExec(ctx, t, h, "docker", "run", "--rm", p.Ref, "cat", "/etc/probe"); got != version {
				t.Errorf("%s runs %q from %s, want %q", h.Name, got, p.Ref, version)
			}
		}
	}
	if digests[0] == digests[1] {
		t.Errorf("same digest %s for different images", digests[0])
	}
}

func mustExec(ctx context.Context, t *testing.T, h *testbed.Host, argv ...string) string {
	t.Helper()
	out, err := h.Exec(ctx, argv...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// What a test process killed mid-run leaves behind (here: a bed of a child process killed with
// SIGKILL, so no cleanup ran) must be removed by the next Reap, and only that.
func TestBedLeftoversOfDeadProcessesAreReaped(t *testing.T) {
	if os.Getenv("BERTH_TESTBED_HELPER") == "1" {
		return
	}
	mine := sharedBed(t, "mixed:2") // a live bed of this process: must survive the reap
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBedHelperStartAndWait$")
	cmd.Env = append(os.Environ(), "BERTH_TESTBED_HELPER=1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	prefix, err := bufio.NewReader(stdout).ReadString('\n')
	prefix = strings.TrimSpace(strings.TrimPrefix(prefix, "BED "))
	if err != nil || !strings.HasPrefix(prefix, "bt") {
		cmd.Process.Kill()
		t.Fatalf("helper did not report its bed: %q, %v", prefix, err)
	}
	if n := countLabelled(ctx, t, prefix); n == 0 {
		t.Fatalf("helper bed %s has no containers", prefix)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := testbed.Reap(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := countLabelled(ctx, t, prefix); n != 0 {
		t.Errorf("%d containers of the dead bed %s survived Reap", n, prefix)
	}
	if n := countLabelled(ctx, t, mine.Prefix); n != 2 {
		t.Errorf("Reap touched this process's live bed %s: %d containers left", mine.Prefix, n)
	}
}

// TestBedHelperStartAndWait is the child of the test above: it starts a bed, prints its
// prefix and waits to be killed.
func TestBedHelperStartAndWait(t *testing.T) {
	if os.Getenv("BERTH_TESTBED_HELPER") != "1" {
		t.Skip("helper process of TestBedLeftoversOfDeadProcessesAreReaped")
	}
	b := startBed(t, "bookworm:1")
	fmt.Printf("BED %s\n", b.Prefix)
	time.Sleep(5 * time.Minute)
}

func countLabelled(ctx context.Context, t *testing.T, prefix string) int {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", "ps", "-aq", "--filter", "label=berth.testbed="+prefix).Output()
	if err != nil {
		t.Fatal(err)
	}
	return len(strings.Fields(string(out)))
}
