package conn

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

type batchHost interface {
	modules.BatchWriter
	Stats() Stats
}

// checkWriteFiles writes a batch whose third file cannot be written (unknown owner): the
// two before it land byte for byte (content without a final newline, with NUL bytes, and
// empty, so the script's reading of exactly SIZE bytes is exercised), the one after it does
// not, no temp file is left, and the whole batch took one round trip. The rest is then
// written by a second batch.
func checkWriteFiles(t *testing.T, h batchHost, host string) {
	t.Helper()
	dir := t.TempDir()
	bin := append(bytes.Repeat([]byte("line\n"), 1000), 0, 1, 2, '\n', 'x')
	ws := []modules.FileWrite{
		{Path: filepath.Join(dir, "a b"), Content: bin, Mode: 0o640},
		{Path: filepath.Join(dir, "empty"), Mode: 0o600},
		{Path: filepath.Join(dir, "c"), Content: []byte("c\n"), Mode: 0o644, Owner: "berth-no-such-user"},
		{Path: filepath.Join(dir, "sub", "d"), Content: []byte("d\n"), Mode: 0o644, MkdirParents: true},
	}
	before := h.Stats().RoundTrips
	done, err := h.WriteFiles(context.Background(), ws)
	if done != 2 || err == nil || !strings.Contains(err.Error(), "write "+ws[2].Path+" on "+host) {
		t.Fatalf("done %d, err %v; want 2 and an error naming %s on %s", done, err, ws[2].Path, host)
	}
	if n := h.Stats().RoundTrips - before; n != 1 {
		t.Errorf("batch of 4 files took %d round trips, want 1", n)
	}
	if b, _ := os.ReadFile(ws[0].Path); !bytes.Equal(b, bin) {
		t.Errorf("first file: %d bytes, want %d", len(b), len(bin))
	}
	if st, err := os.Stat(ws[1].Path); err != nil || st.Size() != 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("empty file: %v %v", st, err)
	}
	for _, w := range ws[2:] {
		if _, err := os.Stat(w.Path); err == nil {
			t.Errorf("%s written after the failure", w.Path)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".berth-tmp-*"))
	if len(tmps) != 0 {
		t.Errorf("temp files left: %q", tmps)
	}
	ws[2].Owner = ""
	if done, err := h.WriteFiles(context.Background(), ws[2:]); done != 2 || err != nil {
		t.Fatalf("second batch: done %d, %v", done, err)
	}
	if b, _ := os.ReadFile(ws[3].Path); string(b) != "d\n" {
		t.Errorf("last file %q", b)
	}
}

func TestWriteFilesOverPlainSSH(t *testing.T) {
	checkWriteFiles(t, dial(t, setup(t).cfg), "web-1")
}

func TestWriteFilesLocal(t *testing.T) {
	checkWriteFiles(t, NewLocal("local", false), "local")
}

func TestWriteFilesThroughTheAgent(t *testing.T) {
	f := agentSetup(t)
	s := f.dial(t, berthBinary(t))
	if _, err := s.Observe(context.Background(), []modules.Probe{modules.CmdProbe("true")}); err != nil {
		t.Fatal(err) // starts (and installs) the agent, so the batch below is one request
	}
	checkWriteFiles(t, s, "web-1")
	if st := s.AgentStatus(); !st.Active {
		t.Errorf("the agent stopped serving: %+v", st)
	}
}

// A bad path in a batch: the files before it are written, the error names it.
func TestWriteFilesStopsAtABadPath(t *testing.T) {
	h := NewLocal("local", false)
	good := filepath.Join(t.TempDir(), "good")
	done, err := h.WriteFiles(context.Background(), []modules.FileWrite{{Path: good, Content: []byte("x")}, {Path: "rel/x"}, {Path: good + "2"}})
	if done != 1 || err == nil || !strings.Contains(err.Error(), "rel/x") {
		t.Fatalf("done %d, err %v", done, err)
	}
	if _, err := os.Stat(good + "2"); err == nil {
		t.Error("a file after the bad path was written")
	}
}
