package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped at build time by `make install` and `make binaries`
// (-ldflags "-X main.version=v1.2.3 -X main.commit=abcdef1"). When they are not, the module
// build info fills them in: `go build` and `go install` record the VCS revision and a
// pseudo-version of the checkout, so an unstamped binary still says what it was built from.
var (
	version = ""
	commit  = ""
)

func init() {
	register(&command{
		name:    "version",
		summary: "print berth's version, commit, Go version and platform",
		setup: func(*flag.FlagSet) action {
			return func(e *env, _ invocation) int {
				fmt.Fprintln(e.stdout, versionLine())
				return exitOK
			}
		},
	})
}

// versionLine is what 'berth version' prints: "berth v0.3.0 (commit abcdef1, go1.26.8, linux/amd64)".
func versionLine() string {
	v, c := buildVersion()
	return fmt.Sprintf("berth %s (commit %s, %s, %s/%s)", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// versionString is the version alone, as runbook journals record it; a build with no
// version of its own is "devel-COMMIT", so journals still tell builds apart.
func versionString() string {
	v, c := buildVersion()
	if v == "devel" && c != "unknown" {
		return "devel-" + c
	}
	return v
}

// buildVersion returns the version and the short commit berth was built from, from the
// stamped variables first, else from the build info; "devel" and "unknown" when neither says.
func buildVersion() (ver, rev string) {
	ver, rev = version, commit
	bi, ok := debug.ReadBuildInfo()
	if ver == "" && ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		ver = bi.Main.Version
	}
	if rev == "" && ok {
		rev = vcsRevision(bi)
	}
	if ver == "" {
		ver = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

// vcsRevision is the build's VCS revision shortened to 7 characters, "-dirty" when the
// checkout had uncommitted changes; "" when the build recorded none (go run, go test).
func vcsRevision(bi *debug.BuildInfo) string {
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
