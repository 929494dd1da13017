// Command berth provisions Docker hosts over SSH from an HCL inventory and runs compose stacks
// on them. See README.md and docs/.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}
