// Command berth provisions Docker hosts over SSH from an HCL inventory and runs compose stacks
// on them. See README.md and docs/.
package main

import (
	"os"
	"runtime/debug"
)

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT says otherwise: a run
// against a thousand hosts holds a thousand connections, and garbage from their buffers
// would otherwise double the heap before each collection (docs/performance.md).
const memoryLimit = 100 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}
