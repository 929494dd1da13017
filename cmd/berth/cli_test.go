package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real berth command in-process: "berth" in a script is
// run(os.Args[1:], ...) with the script's environment and streams.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"berth": func() {
			os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: each is a CLI scenario with expected output.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
