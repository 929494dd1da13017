package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; otherwise the module
// build info (VCS revision) is used.
var version = ""

func init() {
	register(&command{
		name:    "version",
		summary: "print berth's version",
		setup: func(*flag.FlagSet) action {
			return func(e *env, _ invocation) int {
				fmt.Fprintf(e.stdout, "berth %s %s/%s %s\n", versionString(), runtime.GOOS, runtime.GOARCH, runtime.Version())
				return exitOK
			}
		},
	})
}

func versionString() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
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
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}
