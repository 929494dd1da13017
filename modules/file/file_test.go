package file

import (
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
