package file

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

func TestDiff(t *testing.T) {
	content := []byte("hello\n")
	r := New(Spec{Path: "/etc/motd", Content: content, Mode: 0o640, Owner: "root", Group: "adm"})
	same := modules.ProbeResult{Exists: true, SHA256: Sum(content), Mode: 0o640, Owner: "root", Group: "adm", Size: 6}
	if cs := r.Diff([]modules.ProbeResult{same}); len(cs) != 0 {
		t.Fatalf("unchanged file diffs: %+v", cs)
	}
	loose := same
	loose.Mode, loose.SHA256 = 0o644, Sum([]byte("edited"))
	cs := r.Diff([]modules.ProbeResult{loose})
	if len(cs) != 1 || cs[0].Reason != "content differs; mode is 0644, want 0640" {
		t.Fatalf("got %+v", cs)
	}
	if cs := r.Diff([]modules.ProbeResult{{}}); len(cs) != 1 || cs[0].Action != modules.Create {
		t.Fatalf("missing file: %+v", cs)
	}
}

func TestSensitiveContentNeverInChange(t *testing.T) {
	secret := []byte("PASSWORD=canary-4f1c")
	r := New(Spec{Path: "/etc/app.env", Content: secret, Mode: 0o600, Sensitive: true})
	cs := r.Diff([]modules.ProbeResult{{Exists: true, SHA256: Sum([]byte("old")), Mode: 0o600, Owner: "root", Group: "root"}})
	if len(cs) != 1 {
		t.Fatal("no change")
	}
	all := cs[0].Before + cs[0].After + cs[0].Reason
	if strings.Contains(all, "canary") || strings.Contains(all, Sum(secret)[:12]) || !strings.Contains(cs[0].After, "(sensitive)") {
		t.Fatalf("change shows the secret or its hash: %+v", cs[0])
	}
}

// A content the caller does not hold is described by its hash and size, produced only for
// the write; when it cannot be produced, Apply and FileWrite (the batched write) fail
// before anything is sent.
func TestProducedContentIsOnlyReadToWrite(t *testing.T) {
	content := []byte("hello\n")
	var calls int
	var fail error
	r := New(Spec{Path: "/etc/motd", SHA256: Sum(content), Size: len(content), Mode: 0o644,
		Produce: func() ([]byte, error) { calls++; return content, fail }})
	cs := r.Diff([]modules.ProbeResult{{}})
	if len(cs) != 1 || !strings.Contains(cs[0].After, " 6B ") || calls != 0 {
		t.Fatalf("diff %+v after %d productions", cs, calls)
	}
	if w, err := r.FileWrite(cs[0]); err != nil || string(w.Content) != "hello\n" || w.SHA256 != Sum(content) || calls != 1 {
		t.Fatalf("write %+v (%v) after %d productions", w, err, calls)
	}
	fail = errors.New("the inventory changed during the run")
	if _, err := r.FileWrite(cs[0]); err == nil || !strings.Contains(err.Error(), "write /etc/motd: the inventory changed") {
		t.Fatalf("batched write: %v", err)
	}
	if err := r.Apply(context.Background(), nil, cs[0]); err == nil || !strings.Contains(err.Error(), "write /etc/motd: the inventory changed") {
		t.Fatalf("apply: %v", err)
	}
}
