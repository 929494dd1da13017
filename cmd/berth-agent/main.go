// Command berth-agent is the agent berth uploads to hosts, without the operator-only code
// (the vSphere client alone adds 10 MB): `berth-agent agent [--check | --job FILE]` speaks exactly what
// `berth agent` speaks. `make` builds it as bin/berth-agent-linux-ARCH, and berth prefers it,
// beside itself, to uploading its own binary (provisioner/conn.AgentBinary).
package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/berth-dev/berth/provisioner/agent"
)

// checkWord must match cmd/berth's: the install script compares it.
const checkWord = "berth-agent-ok"

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 2 && args[0] == "agent" && (args[1] == "--check" || args[1] == "-check"):
		fmt.Println(checkWord)
	case len(args) == 3 && args[0] == "agent" && args[1] == "--job":
		if err := agent.RunJobFile(args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
	case len(args) == 1 && args[0] == "agent":
		syscall.Umask(0o022)
		if err := agent.ServeProcess(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: berth-agent agent [--check] (started on hosts by berth; see docs/agent.md)")
		os.Exit(1)
	}
}
