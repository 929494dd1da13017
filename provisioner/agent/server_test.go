package agent

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// session is a client end of an in-process agent.
type session struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Scanner
	done chan error
	next uint64
}

func startSession(t *testing.T) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, in: inW, out: bufio.NewScanner(outR), done: make(chan error, 1)}
	s.out.Buffer(make([]byte, 1<<20), 64<<20)
	go func() { s.done <- Serve(context.Background(), inR, outW); outW.Close() }()
	t.Cleanup(func() { inW.Close() })
	if h := s.call(Request{Op: OpHello, Version: Version}); h.Hello == nil || h.Hello.Version != Version {
		t.Fatalf("hello answer %+v", h)
	}
	return s
}

func (s *session) send(r Request) uint64 {
	s.t.Helper()
	if r.ID == 0 {
		s.next++
		r.ID = s.next
	}
	b, _ := json.Marshal(r)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		s.t.Fatal(err)
	}
	return r.ID
}

func (s *session) read() Response {
	s.t.Helper()
	if !s.out.Scan() {
		s.t.Fatalf("agent output ended: %v", s.out.Err())
	}
	var r Response
	if err := json.Unmarshal(s.out.Bytes(), &r); err != nil {
		s.t.Fatalf("bad answer %q: %v", s.out.Bytes(), err)
	}
	return r
}

// call sends a request and returns its final answer, collecting events on the way.
func (s *session) call(r Request) Response {
	s.t.Helper()
	id := s.send(r)
	for {
		resp := s.read()
		if resp.ID == id && resp.Out == nil {
			return resp
		}
	}
}

func TestHelloVersionMismatchIsRefused(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), inR, outW); outW.Close() }()
	go inW.Write([]byte(`{"id":1,"op":"hello","version":999}` + "\n"))
	line, _ := bufio.NewReader(outR).ReadString('\n')
	if !strings.Contains(line, "protocol version") {
		t.Errorf("answer %q does not explain the refusal", line)
	}
	if err := <-done; err == nil {
		t.Errorf("Serve accepted a session of another version")
	}
}

func TestObserveFilesAndCommands(t *testing.T) {
	s := startSession(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("hello\n"), 0o640)
	os.Chmod(file, 0o640)
	os.Symlink(file, filepath.Join(dir, "link"))
	resp := s.call(Request{Op: OpObserve, Probes: []Probe{{Path: file, Content: true}, {Path: dir}, {Path: filepath.Join(dir, "none")},
		{Argv: []string{"sh", "-c", "printf out; printf err >&2; exit 3"}}, {Argv: []string{"berth-no-such-command"}},
		{Path: filepath.Join(dir, "link")}, {Path: file + "/below"}}})
	if resp.Error != "" || len(resp.Results) != 7 {
		t.Fatalf("answer %+v", resp)
	}
	r := resp.Results
	if f := r[0]; !f.Exists || f.IsDir || f.Mode != 0o640 || f.Size != 6 || string(f.Data) != "hello\n" || f.Owner == "" ||
		f.SHA256 != "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" {
		t.Errorf("file probe: %+v", f)
	}
	if d := r[1]; !d.Exists || !d.IsDir || d.SHA256 != "" {
		t.Errorf("dir probe: %+v", d)
	}
	if r[2].Exists || r[6].Exists {
		t.Errorf("absent paths reported as existing: %+v %+v", r[2], r[6])
	}
	if c := r[3]; c.ExitCode != 3 || string(c.Stdout) != "out" || string(c.Stderr) != "err" || c.Missing {
		t.Errorf("command probe: %+v", c)
	}
	if !r[4].Missing || r[4].ExitCode != 127 {
		t.Errorf("missing command: %+v", r[4])
	}
	if r[5].SHA256 != r[0].SHA256 {
		t.Errorf("symlink not followed: %+v", r[5])
	}
	if resp.PeakRSS <= 0 {
		t.Errorf("no peak RSS in the answer")
	}
	if resp.CPU <= 0 || resp.ChildCPU <= 0 {
		t.Errorf("CPU %d us, commands %d us: want both (the probes ran commands)", resp.CPU, resp.ChildCPU)
	}
}

func TestObserveContentCap(t *testing.T) {
	s := startSession(t)
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, MaxContent+1), 0o600)
	if resp := s.call(Request{Op: OpObserve, Probes: []Probe{{Path: big, Content: true}}}); !strings.Contains(resp.Error, "too large") {
		t.Errorf("content over the cap: %+v", resp.Error)
	}
	if resp := s.call(Request{Op: OpObserve, Probes: []Probe{{Path: big}}}); resp.Error != "" || resp.Results[0].SHA256 == "" {
		t.Errorf("hash of a big file: %+v", resp)
	}
}

func writeReq(path, content string, mode uint32) *Write {
	sum := sha256.Sum256([]byte(content))
	return &Write{Path: path, Content: []byte(content), SHA256: hex.EncodeToString(sum[:]), Mode: mode}
}

func TestWriteAtomicModeOwnerAndParents(t *testing.T) {
	s := startSession(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "sub", "dir", "conf")
	os.WriteFile(filepath.Join(dir, "sub"), nil, 0o600) // a file in the way of the parents
	os.Remove(filepath.Join(dir, "sub"))
	w := writeReq(dst, "v1\n", 0o640)
	w.MkdirParents, w.Group = true, "0"
	if resp := s.call(Request{Op: OpWrites, Writes: []*Write{w}}); resp.Error != "" {
		t.Fatal(resp.Error)
	}
	st, err := os.Stat(dst)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("stat %s: %v %v", dst, st, err)
	}
	if pst, _ := os.Stat(filepath.Dir(dst)); pst.Mode().Perm() != 0o755 {
		t.Errorf("parent mode %v, want 0755", pst.Mode().Perm())
	}
	if b, _ := os.ReadFile(dst); string(b) != "v1\n" {
		t.Errorf("content %q", b)
	}
	if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".berth-tmp-*")); len(tmps) != 0 {
		t.Errorf("temp files left: %q", tmps)
	}
}

func TestWriteRefusesBadInputAndKeepsOldFile(t *testing.T) {
	s := startSession(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "conf")
	os.WriteFile(dst, []byte("old"), 0o600)
	os.WriteFile(filepath.Join(dir, ".berth-tmp-conf.stale1"), []byte("x"), 0o600)
	bad := writeReq(dst, "new", 0o600)
	bad.Content = []byte("cut")
	for name, w := range map[string]*Write{
		"sha mismatch":  bad,
		"relative path": writeReq("relative/x", "x", 0o600),
		"unclean path":  writeReq(dir+"/../x", "x", 0o600),
		"unknown owner": {Path: dst, SHA256: writeReq(dst, "", 0).SHA256, Owner: "berth-no-such-user"},
	} {
		if resp := s.call(Request{Op: OpWrites, Writes: []*Write{w}}); resp.Error == "" {
			t.Errorf("%s: write accepted", name)
		}
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Errorf("old file damaged: %q", b)
	}
	if resp := s.call(Request{Op: OpWrites, Writes: []*Write{writeReq(dst, "new", 0)}}); resp.Error != "" {
		t.Fatal(resp.Error)
	}
	if st, _ := os.Stat(dst); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 when none is given", st.Mode().Perm())
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".berth-tmp-*")); len(tmps) != 0 {
		t.Errorf("stale temp files remain: %q", tmps)
	}
}

// A batch stops at its first bad write: the files before it are in place, the bad one and
// those after are not touched, and no temp file of any of them is left.
func TestWriteBatchStopsAtTheFirstFailure(t *testing.T) {
	s := startSession(t)
	dir, other := t.TempDir(), t.TempDir()
	for _, f := range []string{"c", "d"} {
		os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o600)
	}
	bad := writeReq(filepath.Join(dir, "c"), "new", 0o644)
	bad.Content = []byte("cut")
	resp := s.call(Request{Op: OpWrites, Writes: []*Write{
		writeReq(filepath.Join(dir, "a"), "a1", 0o644), writeReq(filepath.Join(other, "b"), "b1", 0o400),
		bad, writeReq(filepath.Join(dir, "d"), "d1", 0o644)}})
	if resp.Error == "" || resp.Done != 2 || !strings.Contains(resp.Error, "c: sha256 mismatch") {
		t.Fatalf("done %d, error %q: want 2 and the third file's mismatch", resp.Done, resp.Error)
	}
	for p, want := range map[string]string{filepath.Join(dir, "a"): "a1", filepath.Join(other, "b"): "b1",
		filepath.Join(dir, "c"): "old", filepath.Join(dir, "d"): "old"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %q, want %q", p, b, want)
		}
	}
	if st, _ := os.Stat(filepath.Join(other, "b")); st.Mode().Perm() != 0o400 {
		t.Errorf("b: mode %v, want 0400", st.Mode().Perm())
	}
	for _, d := range []string{dir, other} {
		if tmps, _ := filepath.Glob(filepath.Join(d, ".berth-tmp-*")); len(tmps) != 0 {
			t.Errorf("temp files left: %q", tmps)
		}
	}
}

func TestHostilePathsAreTakenLiterally(t *testing.T) {
	s := startSession(t)
	dir := t.TempDir()
	for _, name := range []string{"a b", "it's", "$(touch pwned)", "*", "-n", "x\ny"} {
		dst := filepath.Join(dir, name)
		if resp := s.call(Request{Op: OpWrites, Writes: []*Write{writeReq(dst, name, 0o644)}}); resp.Error != "" {
			t.Fatalf("%q: %s", name, resp.Error)
		}
		resp := s.call(Request{Op: OpObserve, Probes: []Probe{{Path: dst, Content: true}}})
		if resp.Error != "" || string(resp.Results[0].Data) != name {
			t.Errorf("%q: read back %+v", name, resp)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Errorf("a path was run as shell syntax")
	}
}

func TestRunStdinStreamAndExit(t *testing.T) {
	s := startSession(t)
	resp := s.call(Request{Op: OpRun, Run: &Run{Argv: []string{"sh", "-c", "cat; echo err >&2; exit 7"}, Stdin: []byte("in\n")}})
	if resp.Run == nil || resp.Run.ExitCode != 7 || string(resp.Run.Stdout) != "in\n" || string(resp.Run.Stderr) != "err\n" {
		t.Fatalf("run: %+v", resp)
	}
	id := s.send(Request{Op: OpRun, Run: &Run{Argv: []string{"sh", "-c", "echo one; echo two >&2"}, Stream: true}})
	var got strings.Builder
	for {
		r := s.read()
		if r.Out == nil {
			if r.ID != id || r.Run == nil || len(r.Run.Stdout) != 0 {
				t.Fatalf("final answer of a streamed run: %+v", r)
			}
			break
		}
		got.WriteString(r.Out.Stream + ":" + string(r.Out.Data))
	}
	if !strings.Contains(got.String(), "stdout:one\n") || !strings.Contains(got.String(), "stderr:two\n") {
		t.Errorf("events %q", got.String())
	}
}

func TestCancelKillsTheProcessGroup(t *testing.T) {
	s := startSession(t)
	marker := filepath.Join(t.TempDir(), "still-running")
	id := s.send(Request{Op: OpRun, Run: &Run{Argv: []string{"sh", "-c", "echo started; (sleep 2; touch " + marker + ") & wait"}, Stream: true}})
	if r := s.read(); r.Out == nil {
		t.Fatalf("want the started line first, got %+v", r)
	}
	s.send(Request{Op: OpCancel, Target: id})
	if r := s.read(); r.ID != id || !strings.Contains(r.Error, "canceled") {
		t.Fatalf("answer to a cancelled run: %+v", r)
	}
	// The group is dead once the answer came; a survivor would create the marker.
	resp := s.call(Request{Op: OpRun, Run: &Run{Argv: []string{"sh", "-c", "sleep 3; test -e " + marker}}})
	if resp.Run == nil || resp.Run.ExitCode == 0 {
		t.Errorf("the cancelled command's group kept running: %+v", resp)
	}
}

// berth going away (its input ends without bye) never cuts a command half way: the agent
// lets it finish before it ends.
func TestEndOfInputFinishesCommandsInFlight(t *testing.T) {
	s := startSession(t)
	marker := filepath.Join(t.TempDir(), "finished")
	s.send(Request{Op: OpRun, Run: &Run{Argv: []string{"sh", "-c", "echo started; sleep 1; touch " + marker}, Stream: true}})
	s.read()
	go func() {
		for s.out.Scan() {
		}
	}()
	s.in.Close()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not end after its input")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the command in flight was cut when berth went away: %v", err)
	}
}

func TestByeAnswersAndEnds(t *testing.T) {
	s := startSession(t)
	if r := s.call(Request{Op: OpBye}); r.Error != "" || r.PeakRSS <= 0 {
		t.Errorf("bye answer %+v", r)
	}
	if err := <-s.done; err != nil {
		t.Errorf("Serve after bye: %v", err)
	}
}

// The host lock through the protocol: taken, busy for another token, kept against a release
// with another token, released, and taken again by a request sent without waiting.
func TestLockOpsThroughTheProtocol(t *testing.T) {
	s := startSession(t)
	dir := filepath.Join(t.TempDir(), "berth", "lock")
	take := func(tok string) Response {
		return s.call(Request{Op: OpLock, Lock: &Lock{Dir: dir, Token: tok, Holder: []byte(`{"token":"` + tok + `"}`)}})
	}
	if r := take("a"); r.Error != "" || r.Lock == nil || r.Lock.State != LockAcquired {
		t.Fatalf("first lock: %+v", r)
	}
	if r := take("b"); r.Lock == nil || r.Lock.State != LockBusy || !strings.Contains(r.Lock.Holder, `"a"`) {
		t.Fatalf("second lock: %+v, want busy naming a", r)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("lock dir: %v %v", st, err)
	}
	if r := s.call(Request{Op: OpUnlock, Lock: &Lock{Dir: dir, Token: "b"}}); r.Lock == nil || r.Lock.State != LockMismatch {
		t.Fatalf("unlock with another token: %+v", r)
	}
	// Release, and take again without waiting for the release's answer (in goroutines: the
	// pipe holds nothing).
	go s.send(Request{ID: 900, Op: OpUnlock, Lock: &Lock{Dir: dir, Token: "a"}})
	go func() {
		time.Sleep(10 * time.Millisecond)
		s.send(Request{ID: 901, Op: OpLock, Lock: &Lock{Dir: dir, Token: "c", Holder: []byte(`{}`)}})
	}()
	for _, want := range []struct {
		id    uint64
		state string
	}{{900, LockReleased}, {901, LockAcquired}} {
		if r := s.read(); r.ID != want.id || r.Lock == nil || r.Lock.State != want.state {
			t.Errorf("answer %+v, want request %d %s", r, want.id, want.state)
		}
	}
}
