package conn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// Paths no shell may interpret: spaces, quotes, $, globs, a newline, a leading dash.
func TestLocalObserveAndWriteHostilePaths(t *testing.T) {
	h := NewLocal("local", false)
	dir := t.TempDir()
	names := []string{"a b", "it's", "$(touch pwned)", "*", "new\nline", "-n", "é"}
	var probes []modules.Probe
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := h.WriteFile(context.Background(), modules.FileWrite{Path: p, Content: []byte(n), Mode: 0o644}); err != nil {
			t.Fatalf("write %q: %v", n, err)
		}
		probes = append(probes, modules.ContentProbe(p))
	}
	res, err := h.Observe(context.Background(), probes)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if !res[i].Exists || string(res[i].Data) != n || res[i].Mode != 0o644 {
			t.Errorf("%q: %+v", n, res[i])
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(names) {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("directory holds %q, want exactly the %d files written", got, len(names))
	}
	if _, err := os.Stat("pwned"); err == nil { // the shell's working directory is ours
		os.Remove("pwned")
		t.Error("a path was executed by the shell")
	}
}

func TestParseObserveRejectsCutOutput(t *testing.T) {
	probes := []modules.Probe{modules.CmdProbe("true")}
	full := "@@berth 0 cmd 0\n@@berth 0 stdout\n@@berth 0 stderr\n@@berth end\n"
	if _, err := ParseObserve([]byte(full), probes); err != nil {
		t.Fatalf("full output: %v", err)
	}
	for _, cut := range []string{"", "@@berth 0 cmd 0\n", "@@berth 0 cmd 0\n@@berth 0 stdout\naGVsbG8=\n"} {
		if _, err := ParseObserve([]byte(cut), probes); err == nil || !strings.Contains(err.Error(), "ended early") {
			t.Errorf("cut output %q: err %v, want 'ended early'", cut, err)
		}
	}
	if _, err := ParseObserve([]byte("@@berth 5 cmd 0\n@@berth end\n"), probes); err == nil {
		t.Error("record for an unknown probe accepted")
	}
}

func TestObserveTooLargeContentIsAnError(t *testing.T) {
	h := NewLocal("local", false)
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, make([]byte, MaxProbeContent+1), 0o600)
	if _, err := h.Observe(context.Background(), []modules.Probe{modules.ContentProbe(p)}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("err = %v, want too large", err)
	}
	res, err := h.Observe(context.Background(), []modules.Probe{modules.FileProbe(p)})
	if err != nil || res[0].Size != MaxProbeContent+1 || res[0].SHA256 == "" {
		t.Errorf("metadata of a big file: %+v %v", res, err)
	}
}
