package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/conn"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/hostlock"
)

// The SSH transport on real hosts: three Debian hosts (bookworm with docker-compose v1,
// trixie with compose v2, bookworm without Docker), reached as the non-root test user with
// passwordless sudo, over strict known_hosts.

type connBed struct {
	bed *testbed.Bed
	dir string // inventory written by the bed
	inv *inventory.Inventory
	res *conn.Resolver
	bin string // the berth binary
}

func TestConn(t *testing.T) {
	if os.Getenv("BERTH_INTEGRATION") != "1" {
		t.Skip("integration test: set BERTH_INTEGRATION=1 (needs Docker on this machine)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cb := startConnBed(ctx, t)

	t.Run("facts on three hosts take one round trip each", func(t *testing.T) { connFacts(ctx, t, cb) })
	t.Run("berth facts and exec fan out with per-host results", func(t *testing.T) { connCLI(ctx, t, cb) })
	t.Run("a 0600 file written as a non-root user into a root-owned directory", func(t *testing.T) { connWrite(ctx, t, cb) })
	t.Run("ProxyJump through h1 reaches h2", func(t *testing.T) { connJump(ctx, t, cb) })
	t.Run("a held lock makes a second berth fail naming the holder", func(t *testing.T) { connLock(ctx, t, cb) })
	t.Run("sudo that wants a password is a clear error", func(t *testing.T) { connSudoPassword(ctx, t, cb) })
	t.Run("unknown host key is refused, then trusted by fingerprint", func(t *testing.T) { connTrust(ctx, t, cb) })
	t.Run("a cancelled command does not outlive its context", func(t *testing.T) { connCancel(ctx, t, cb) })
}

func startConnBed(ctx context.Context, t *testing.T) *connBed {
	bed, err := testbed.Start(ctx, testbed.Options{Hosts: []testbed.HostSpec{
		{Release: testbed.Bookworm, Docker: true}, {Release: testbed.Trixie, Docker: true}, {Release: testbed.Bookworm},
	}, Log: connLog{t}})
	if err != nil {
		t.Fatalf("test bed: %v", err) // fail, never skip, once integration tests are asked for
	}
	t.Cleanup(func() { bed.Close() })
	cb := &connBed{bed: bed, dir: t.TempDir()}
	if err := bed.WriteInventory(cb.dir); err != nil {
		t.Fatal(err)
	}
	inv, diags := inventory.Load(cb.dir, inventory.Options{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatalf("bed inventory: %v", diags)
	}
	cb.inv = inv
	if cb.res, err = conn.NewResolver(inv, t.TempDir(), func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	cb.bin = berthBinary(t)
	return cb
}

func (cb *connBed) dial(ctx context.Context, t *testing.T, name string) *conn.SSH {
	t.Helper()
	cfg, err := cb.res.Resolve(cb.inv.Host(name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := conn.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// berth runs the binary with HOME pointing at an empty directory (no ~/.ssh influence).
func (cb *connBed) berth(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	cmd := exec.CommandContext(ctx, cb.bin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

func connFacts(ctx context.Context, t *testing.T, cb *connBed) {
	names := []string{"h1", "h2", "h3"}
	var mu sync.Mutex
	got := map[string]*facts.Facts{}
	trips := map[string]conn.Stats{}
	start := time.Now()
	outcomes := provisioner.EachHost(ctx, names, 10, func(ctx context.Context, name string) error {
		cfg, err := cb.res.Resolve(cb.inv.Host(name))
		if err != nil {
			return err
		}
		c, err := conn.Dial(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		f, err := facts.Gather(ctx, c)
		mu.Lock()
		got[name], trips[name] = f, c.Stats()
		mu.Unlock()
		return err
	})
	wall := time.Since(start)
	for _, o := range outcomes {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Host, o.Err)
		}
	}
	for i, n := range names {
		t.Logf("facts %s: connect %v, %d round trip(s), %v", n, trips[n].Connect.Round(time.Millisecond), trips[n].RoundTrips, outcomes[i].Elapsed.Round(time.Millisecond))
		if trips[n].RoundTrips != 1 {
			t.Errorf("%s: %d round trips, want 1", n, trips[n].RoundTrips)
		}
	}
	t.Logf("facts on 3 hosts: wall time %v", wall.Round(time.Millisecond))
	want := map[string][3]string{"h1": {"debian", "bookworm", "v1"}, "h2": {"debian", "trixie", "v2"}, "h3": {"debian", "bookworm", ""}}
	for n, w := range want {
		f := got[n]
		if f.OS.ID != w[0] || f.OS.Codename != w[1] || f.Compose.Variant != w[2] {
			t.Errorf("%s: os %+v compose %+v, want %v", n, f.OS, f.Compose, w)
		}
		if f.Init != "systemd" || f.CPUs < 1 || f.Memory.Total == 0 || len(f.Mounts) == 0 || !contains(f.Ports, 22) {
			t.Errorf("%s: incomplete facts %+v", n, f)
		}
		if (n != "h3") != (f.Docker.Installed && f.Docker.Running) {
			t.Errorf("%s: docker %+v", n, f.Docker)
		}
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func connCLI(ctx context.Context, t *testing.T, cb *connBed) {
	// The first run may upload the agent (2 more round trips per host); once it is cached,
	// facts are one round trip per host.
	if code, _, errs := cb.berth(ctx, t, "facts", cb.dir, "--stats"); code != 0 {
		t.Fatalf("berth facts --stats: exit %d\n%s", code, errs)
	}
	code, _, errs := cb.berth(ctx, t, "facts", cb.dir, "--stats")
	if code != 0 || !strings.Contains(errs, "stats: 3 host(s), 3 round trip(s)") || strings.Contains(errs, "uploaded now") {
		t.Fatalf("berth facts --stats, agent cached: exit %d\n%s", code, errs)
	}
	for _, l := range strings.Split(errs, "\n") {
		if strings.HasPrefix(l, "stats:") {
			t.Log(l)
		}
	}
	code, out, errs := cb.berth(ctx, t, "exec", cb.dir, "-l", "*", "--", "sh", "-c", `echo "$(hostname) as $(id -un)"; [ "$(hostname)" != h2 ]`)
	for _, w := range []string{"h1 | h1 as root", "h2 | h2 as root", "h3 | h3 as root"} {
		if !strings.Contains(out, w) {
			t.Errorf("exec output lacks %q:\n%s", w, out)
		}
	}
	if code != 1 || !strings.Contains(errs, "h2: exit status 1") || !strings.Contains(errs, "3 host(s): 2 ok, 1 failed (h2)") {
		t.Errorf("exec exit %d, stderr:\n%s", code, errs)
	}
}

func connWrite(ctx context.Context, t *testing.T, cb *connBed) {
	h := cb.bed.Host("h1")
	if _, err := h.Exec(ctx, "install", "-d", "-m", "0755", "-o", "root", "-g", "root", "/etc/berth-test"); err != nil {
		t.Fatal(err)
	}
	canary := fmt.Sprintf("TOKEN=canary-%d", time.Now().UnixNano())
	stop := scanCmdlines(ctx, t, h, canary)
	s := cb.dial(ctx, t, "h1")
	content := []byte(canary + "\n" + strings.Repeat("x", 3<<20))
	w := modules.FileWrite{Path: "/etc/berth-test/app.env", Content: content, Mode: 0o600}
	if err := s.WriteFile(ctx, w); err != nil {
		t.Fatal(err)
	}
	if hits := stop(); hits != "" {
		t.Errorf("secret seen on a command line:\n%s", hits)
	}
	st, _ := h.Exec(ctx, "stat", "-c", "%a %U %G %s", "/etc/berth-test/app.env")
	if want := fmt.Sprintf("600 root root %d", len(content)); st != want {
		t.Errorf("stat %q, want %q", st, want)
	}
	sum, _ := h.Exec(ctx, "sh", "-c", "sha256sum < /etc/berth-test/app.env")
	res, err := s.Observe(ctx, []modules.Probe{modules.FileProbe(w.Path)})
	if err != nil || !strings.HasPrefix(sum, res[0].SHA256) || res[0].Mode != 0o600 {
		t.Errorf("observe after write: %+v %v (host sum %s)", res, err, sum)
	}
	if left, _ := h.Exec(ctx, "sh", "-c", "ls -A /etc/berth-test"); left != "app.env" {
		t.Errorf("directory holds %q, want only app.env", left)
	}
}

// scanCmdlines watches every process's command line on the host for needle until stop is
// called; the pattern is read from a file so the scanner's own command line never holds it.
func scanCmdlines(ctx context.Context, t *testing.T, h *testbed.Host, needle string) (stop func() string) {
	if _, err := h.ExecInput(ctx, strings.NewReader(needle+"\n"), "sh", "-c", "cat > /root/.scan-pattern"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			o, _ := h.Exec(ctx, "sh", "-c", `for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' < "$f" 2>/dev/null | grep -F -f /root/.scan-pattern; done; true`)
			out.WriteString(o)
		}
	}()
	return func() string { cancel(); wg.Wait(); return strings.TrimSpace(out.String()) }
}

func connJump(ctx context.Context, t *testing.T, cb *connBed) {
	cfg, err := cb.res.Resolve(cb.inv.Host("h2"))
	if err != nil {
		t.Fatal(err)
	}
	jump, err := cb.res.Resolve(cb.inv.Host("h1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Jump = []*conn.Config{jump}
	s, err := conn.Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("dial h2 through h1: %v", err)
	}
	defer s.Close()
	res, err := s.Run(ctx, modules.Command{Argv: []string{"sh", "-c", `echo "$SSH_CONNECTION"`}, NoBecome: true})
	h1 := cb.bed.Host("h1").Address
	if err != nil || !strings.HasPrefix(string(res.Stdout), h1+" ") {
		t.Fatalf("h2 sees the connection from %q (%v), want it from h1 %s", res.Stdout, err, h1)
	}
	other := filepath.Join(t.TempDir(), "known_hosts") // the jump's key is unknown here
	os.WriteFile(other, []byte(cb.bed.Host("h2").HostKeyLine+"\n"), 0o644)
	jump.KnownHosts = []string{other}
	var uk *conn.UnknownHostKeyError
	if _, err := conn.Dial(ctx, cfg); !errors.As(err, &uk) || uk.Host != "h1" {
		t.Fatalf("unverified jump host: %v, want h1's key refused", err)
	}
}

func connLock(ctx context.Context, t *testing.T, cb *connBed) {
	first, second := cb.dial(ctx, t, "h3"), cb.dial(ctx, t, "h3")
	l, err := hostlock.Acquire(ctx, first, hostlock.Options{Command: "berth apply (integration)"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = hostlock.Acquire(ctx, second, hostlock.Options{Timeout: 300 * time.Millisecond, Poll: 100 * time.Millisecond})
	var busy *hostlock.BusyError
	if !errors.As(err, &busy) || busy.Holder == nil || busy.Holder.Token != l.Holder().Token || !strings.Contains(err.Error(), "berth apply (integration)") {
		t.Fatalf("second acquire: %v, want busy naming the holder", err)
	}
	if st, _ := cb.bed.Host("h3").Exec(ctx, "stat", "-c", "%U %a", hostlock.DefaultDir); st != "root 700" {
		t.Errorf("lock dir is %q, want root 700", st)
	}
	code, out, _ := cb.berth(ctx, t, "unlock", "h3", cb.dir)
	if code != 3 || !strings.Contains(out, "berth apply (integration)") {
		t.Errorf("berth unlock without --id: exit %d %q, want busy with the holder", code, out)
	}
	code, _, errs := cb.berth(ctx, t, "unlock", "h3", cb.dir, "--id", l.Holder().Token)
	if code != 0 {
		t.Fatalf("berth unlock --id: exit %d\n%s", code, errs)
	}
	l2, err := hostlock.Acquire(ctx, second, hostlock.Options{})
	if err != nil {
		t.Fatalf("acquire after unlock: %v", err)
	}
	l2.Release(ctx)
}

func connSudoPassword(ctx context.Context, t *testing.T, cb *connBed) {
	h := cb.bed.Host("h3")
	key, err := os.ReadFile(cb.bed.KeyFile + ".pub")
	if err != nil {
		pub, perr := exec.CommandContext(ctx, "ssh-keygen", "-y", "-f", cb.bed.KeyFile).Output()
		if perr != nil {
			t.Fatalf("public key: %v / %v", err, perr)
		}
		key = pub
	}
	script := `id pwuser >/dev/null 2>&1 || useradd -m -s /bin/sh -G sudo pwuser
echo 'pwuser:Pw-12345-x' | chpasswd
install -d -m700 -o pwuser -g pwuser /home/pwuser/.ssh
cat > /home/pwuser/.ssh/authorized_keys && chown pwuser: /home/pwuser/.ssh/authorized_keys`
	if _, err := h.ExecInput(ctx, bytes.NewReader(key), "sh", "-c", script); err != nil {
		t.Fatal(err)
	}
	cfg, _ := cb.res.Resolve(cb.inv.Host("h3"))
	cfg.User, cfg.Become = "pwuser", true
	s, err := conn.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Run(ctx, modules.Command{Argv: []string{"true"}})
	var se *conn.SudoPasswordError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "sudo on h3 needs a password") {
		t.Fatalf("got %v, want SudoPasswordError", err)
	}
}

func connTrust(ctx context.Context, t *testing.T, cb *connBed) {
	kh := filepath.Join(cb.dir, "known_hosts")
	saved, _ := os.ReadFile(kh)
	defer os.WriteFile(kh, saved, 0o644)
	os.WriteFile(kh, nil, 0o644)
	code, _, errs := cb.berth(ctx, t, "facts", cb.dir, "-l", "h2")
	if code != 1 || !strings.Contains(errs, "unknown host key") || !strings.Contains(errs, "berth hosts trust h2 --fingerprint SHA256:") {
		t.Fatalf("unknown key: exit %d\n%s", code, errs)
	}
	i := strings.Index(errs, "--fingerprint ")
	fp := strings.Fields(errs[i+len("--fingerprint "):])[0]
	code, out, errs := cb.berth(ctx, t, "hosts", "trust", "h2", cb.dir, "--fingerprint", fp)
	if code != 0 {
		t.Fatalf("trust: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("berth hosts trust:\n%s%s", out, errs)
	if code, _, errs := cb.berth(ctx, t, "facts", cb.dir, "-l", "h2"); code != 0 {
		now, _ := os.ReadFile(kh)
		t.Fatalf("facts after trust: %s\nknown_hosts now:\n%s", errs, now)
	}
}

func connCancel(ctx context.Context, t *testing.T, cb *connBed) {
	s := cb.dial(ctx, t, "h2")
	for _, noBecome := range []bool{true, false} {
		cctx, cancel := context.WithCancel(ctx)
		_, err := s.Run(cctx, modules.Command{Argv: []string{"sh", "-c", "echo started; sleep 777"}, NoBecome: noBecome,
			Stream: func(string, string) { cancel() }})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		var left string
		for i := 0; i < 50; i++ { // the host reaps the command asynchronously
			left, _ = cb.bed.Host("h2").Exec(ctx, "sh", "-c", "pgrep -f '[s]leep 777' || true")
			if left == "" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if left != "" {
			t.Errorf("noBecome=%v: the command still runs on the host after cancel: pids %q", noBecome, left)
			cb.bed.Host("h2").Exec(ctx, "pkill", "-f", "[s]leep 777")
		}
	}
}

type connLog struct{ t *testing.T }

func (w connLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
