package main

import (
	"regexp"
	"runtime"
	"testing"
)

// TestVersion: 'berth version' prints the version, the commit, the Go version and the platform
// on one line, so that a bug report can quote it whole.
func TestVersion(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v0.3.0", "abcdef1"
	code, out, stderr := berth("version")
	want := "berth v0.3.0 (commit abcdef1, " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if code != exitOK || stderr != "" || out != want {
		t.Errorf("exit %d, stderr %q, stdout %q, want %q", code, stderr, out, want)
	}
	version, commit = "", ""
	_, out, _ = berth("version")
	if !regexp.MustCompile(`^berth \S+ \(commit \S+, go\S+, \w+/\w+\)\n$`).MatchString(out) {
		t.Errorf("unstamped: %q", out)
	}
}
