package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
)

var (
	berthOnce sync.Once
	berthBin  string
	berthErr  error
	berthDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if berthDir != "" {
		os.RemoveAll(berthDir)
	}
	os.Exit(code)
}

// berthBinary builds the real berth binary once: the tests run it as the agent "on the
// host", which is this machine behind the in-process SSH server.
func berthBinary(t *testing.T) string {
	t.Helper()
	berthOnce.Do(func() {
		berthDir, berthErr = os.MkdirTemp("", "berth-agent-test-")
		if berthErr != nil {
			return
		}
		berthBin = filepath.Join(berthDir, "berth")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", berthBin, "../../cmd/berth")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			berthErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if berthErr != nil {
		t.Fatal(berthErr)
	}
	return berthBin
}

type agentFixture struct {
	fixture
	home  string
	warns *[]string
}

// agentSetup is setup plus a fresh HOME (the agent's cache) and the berth binary.
func agentSetup(t *testing.T) agentFixture {
	t.Helper()
	berthBinary(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	return agentFixture{fixture: setup(t), home: home, warns: &[]string{}}
}

func (f agentFixture) dial(t *testing.T, bin string) *SSH {
	t.Helper()
	s := dial(t, f.cfg)
	var mu sync.Mutex
	s.UseAgent(AgentOptions{
		Binary: func(goarch string) string {
			if goarch == runtime.GOARCH {
				return bin
			}
			return ""
		},
		Warn: func(m string) { mu.Lock(); *f.warns = append(*f.warns, m); mu.Unlock() },
	})
	return s
}

func TestAgentInstallsOnceAndServesOverOneSession(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("hello\n"), 0o640)
	res, err := s.Observe(context.Background(), []modules.Probe{modules.ContentProbe(file), modules.CmdProbe("uname", "-m")})
	if err != nil {
		t.Fatal(err)
	}
	if string(res[0].Data) != "hello\n" || res[1].ExitCode != 0 {
		t.Errorf("results %+v", res)
	}
	st := s.AgentStatus()
	if !st.Active || !st.Installed || st.PeakRSS <= 0 || len(*f.warns) != 0 {
		t.Fatalf("status %+v, warnings %q", st, *f.warns)
	}
	sum, _, _ := hashBinary(berthBinary(t))
	cached := filepath.Join(f.home, ".cache", "berth", "agent", sum, "berth")
	if st.Exe != cached {
		t.Errorf("agent runs %s, want %s", st.Exe, cached)
	}
	if fi, err := os.Stat(filepath.Dir(filepath.Dir(cached))); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v %v", fi, err)
	}
	if n := s.Stats().RoundTrips; n != 3 {
		t.Errorf("cold start: %d round trips, want 3 (start, install, start with the request)", n)
	}
	s.WriteFile(context.Background(), modules.FileWrite{Path: filepath.Join(dir, "g"), Content: []byte("x")})
	s.Run(context.Background(), modules.Command{Argv: []string{"true"}})
	if n, lines := s.Stats().RoundTrips, len(f.srv.Lines()); n != 5 || lines != 3 {
		t.Errorf("%d round trips and %d sessions after two more calls, want 5 and 3", n, lines)
	}

	warm := f.dial(t, berthBinary(t))
	if _, err := warm.Observe(context.Background(), []modules.Probe{modules.FileProbe(file)}); err != nil {
		t.Fatal(err)
	}
	if st := warm.AgentStatus(); !st.Active || st.Installed {
		t.Errorf("warm status %+v", st)
	}
	if n := warm.Stats().RoundTrips; n != 1 {
		t.Errorf("warm start: %d round trips, want 1 (the request rides with the hello)", n)
	}
}

func TestAgentRunQuotesStreamsAndExits(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	argv := []string{"printf", "%s|", "a b", "it's", "$(id)", "*"}
	res, err := s.Run(context.Background(), modules.Command{Argv: argv})
	if err != nil || string(res.Stdout) != "a b|it's|$(id)|*|" {
		t.Fatalf("stdout %q, err %v", res.Stdout, err)
	}
	res, err = s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "cat; echo err >&2; exit 7"}, Stdin: strings.NewReader("in\n")})
	if err != nil || res.ExitCode != 7 || string(res.Stdout) != "in\n" || string(res.Stderr) != "err\n" {
		t.Errorf("got exit %d stdout %q stderr %q err %v", res.ExitCode, res.Stdout, res.Stderr, err)
	}
	var got []string
	res, err = s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "echo one; echo two >&2; printf three"},
		Stream: func(stream, line string) { got = append(got, stream+":"+line) }})
	joined := strings.Join(got, ",")
	for _, w := range []string{"stdout:one", "stderr:two", "stdout:three"} {
		if !strings.Contains(joined, w) {
			t.Errorf("stream events %q lack %q (err %v)", joined, w, err)
		}
	}
	if string(res.Stdout) != "one\nthree" {
		t.Errorf("streamed result stdout %q", res.Stdout)
	}
	if !s.AgentStatus().Active {
		t.Errorf("agent not used: %+v", s.AgentStatus())
	}
}

// A closed connection lets go of its client and agent session (a fleet's run keeps its
// closed connections until it ends), still says what its agent did, and refuses calls.
func TestAClosedConnectionLetsGoButKeepsItsStats(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	if _, err := s.Run(context.Background(), modules.Command{Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	trips := s.Stats().RoundTrips
	s.Close()
	if s.client != nil {
		t.Error("the closed connection still holds its SSH client")
	}
	if a := s.runner.sh.(*agentShell); a.client != nil {
		t.Error("the closed connection still holds its agent session")
	}
	if st := s.AgentStatus(); !st.Active || st.PeakRSS <= 0 || s.Stats().RoundTrips != trips {
		t.Errorf("after close: agent %+v, %d round trips (was %d)", st, s.Stats().RoundTrips, trips)
	}
	if _, err := s.Run(context.Background(), modules.Command{Argv: []string{"true"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("run after close: %v, want ErrClosed", err)
	}
}

func TestAgentCancelKillsTheProcessGroup(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	marker := filepath.Join(t.TempDir(), "still-running")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Run(ctx, modules.Command{Argv: []string{"sh", "-c", "echo started; (sleep 2; touch " + marker + ") & wait"},
		Stream: func(string, string) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	res, err := s.Run(context.Background(), modules.Command{Argv: []string{"sh", "-c", "sleep 3; test -e " + marker}})
	if err != nil || res.ExitCode == 0 {
		t.Errorf("the cancelled command kept running on the host (%v, exit %d)", err, res.ExitCode)
	}
}

func TestAgentWriteFileAtomicModeAndHostilePaths(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	dir := t.TempDir()
	dst := filepath.Join(dir, "sub", "dir", "conf")
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: dst, Content: []byte("v1\n"), Mode: 0o640, Group: "0", MkdirParents: true}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("stat %s: %v %v", dst, st, err)
	}
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: "relative/x"}); err == nil {
		t.Errorf("relative path accepted")
	}
	err := s.WriteFile(context.Background(), modules.FileWrite{Path: filepath.Join(dir, "x"), Owner: "berth-no-such-user"})
	if err == nil || !strings.Contains(err.Error(), "on web-1") {
		t.Errorf("unknown owner: %v", err)
	}
	for _, name := range []string{"a b", "it's", "$(touch pwned)", "-n"} {
		p := filepath.Join(dir, name)
		if err := s.WriteFile(context.Background(), modules.FileWrite{Path: p, Content: []byte(name), Mode: 0o600}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Observe(context.Background(), []modules.Probe{modules.ContentProbe(p)})
		if err != nil || string(res[0].Data) != name || res[0].Mode != 0o600 || res[0].Owner != "root" {
			t.Errorf("%q read back %+v %v", name, res, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Errorf("a path was run as shell syntax")
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxProbeContent+1), 0o600)
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.ContentProbe(big)}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("content over the cap: %v", err)
	}
}

func TestAgentSecretsNeverOnCommandLineWithBecome(t *testing.T) {
	f := agentSetup(t)
	f.srv.SetSudo("nopasswd")
	f.cfg.Become = true
	s := f.dial(t, berthBinary(t))
	dst := filepath.Join(t.TempDir(), "app.env")
	secret := "PASSWORD=hunter2-" + strconv.Itoa(os.Getpid())
	if err := s.WriteFile(context.Background(), modules.FileWrite{Path: dst, Content: []byte(secret), Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), modules.Command{Argv: []string{"cat"}, Stdin: strings.NewReader(secret)}); err != nil {
		t.Fatal(err)
	}
	for _, l := range f.srv.Lines() {
		if strings.Contains(l, "hunter2") {
			t.Errorf("secret on a command line: %q", l)
		}
	}
	if !s.AgentStatus().Active {
		t.Errorf("agent not used: %+v", s.AgentStatus())
	}
}

func TestAgentSudoPasswordIsAClearError(t *testing.T) {
	f := agentSetup(t)
	f.srv.SetSudo("password")
	f.cfg.Become = true
	s := f.dial(t, berthBinary(t))
	var se *SudoPasswordError
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.FileProbe("/")}); !errors.As(err, &se) {
		t.Fatalf("Observe err = %v, want SudoPasswordError", err)
	}
}

func TestAgentFallsBackWhenItCannotRun(t *testing.T) {
	f := agentSetup(t)
	broken := filepath.Join(t.TempDir(), "berth")
	os.WriteFile(broken, []byte("#!/bin/sh\nexit 1\n"), 0o755) // runs nowhere, like a noexec mount
	for name, bin := range map[string]string{"cannot execute": broken, "no binary": ""} {
		*f.warns = nil
		s := f.dial(t, bin)
		res, err := s.Observe(context.Background(), []modules.Probe{modules.FileProbe("/"), modules.CmdProbe("true")})
		if err != nil || !res[0].IsDir {
			t.Fatalf("%s: observe through the fallback: %+v %v", name, res, err)
		}
		if err := s.WriteFile(context.Background(), modules.FileWrite{Path: filepath.Join(t.TempDir(), "f"), Content: []byte("x")}); err != nil {
			t.Fatalf("%s: write through the fallback: %v", name, err)
		}
		st := s.AgentStatus()
		if st.Active || st.Reason == "" || len(*f.warns) != 1 || !strings.Contains((*f.warns)[0], "agent unavailable on web-1") {
			t.Errorf("%s: status %+v, warnings %q", name, st, *f.warns)
		}
	}
	if got, _ := filepath.Glob(filepath.Join(f.home, ".cache", "berth", "agent", "*", "berth")); len(got) != 0 {
		t.Errorf("a binary that cannot run was installed: %q", got)
	}
}

func TestAgentBigStdinUsesAPlainSession(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	big := bytes.Repeat([]byte("y"), maxInlineStdin+10)
	res, err := s.Run(context.Background(), modules.Command{Argv: []string{"wc", "-c"}, Stdin: bytes.NewReader(big)})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != strconv.Itoa(len(big)) {
		t.Fatalf("wc -c: %q %v", res.Stdout, err)
	}
	if lines := f.srv.Lines(); len(lines) != 1 || !strings.HasPrefix(lines[0], pidPrefix) {
		t.Errorf("sessions %q, want one plain session", lines)
	}
}

// Installing a new version keeps the three most recently installed ones in the cache
// directory (this one and the two before it) and removes the older ones.
func TestAgentInstallRemovesOldVersions(t *testing.T) {
	f := agentSetup(t)
	cache := filepath.Join(f.home, ".cache", "berth", "agent")
	var old []string
	for i, name := range []string{"0001", "0002", "0003", "0004"} { // 0004 installed last
		dir := filepath.Join(cache, strings.Repeat(name, 16))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "berth"), []byte("old"), 0o700)
		when := time.Now().Add(time.Duration(i-10) * time.Hour)
		os.Chtimes(dir, when, when)
		old = append(old, dir)
	}
	os.Chmod(cache, 0o700)
	s := f.dial(t, berthBinary(t))
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.CmdProbe("true")}); err != nil {
		t.Fatal(err)
	}
	if st := s.AgentStatus(); !st.Installed {
		t.Fatalf("status %+v, want a fresh install", st)
	}
	entries, _ := os.ReadDir(cache)
	var got []string
	for _, e := range entries {
		if e.IsDir() {
			got = append(got, e.Name())
		}
	}
	sum, _, _ := hashBinary(berthBinary(t))
	want := []string{filepath.Base(old[2]), filepath.Base(old[3]), sum}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("cache holds %q, want %q (this version and the two installed before it)", got, want)
	}
}
