package main

import (
	"flag"
	"fmt"
)

func init() {
	register(&command{
		name:    "help",
		summary: "list the commands, or print a command's usage and flags",
		args:    []param{optional("COMMAND"), optional("SUBCOMMAND")},
		about:   "'berth help COMMAND' prints exactly what 'berth COMMAND --help' prints.",
		setup: func(*flag.FlagSet) action {
			return runHelp
		},
	})
}

func runHelp(e *env, in invocation) int {
	if len(in.args) == 0 {
		commandList(e.stdout)
		return exitOK
	}
	c, err := lookup(in.args)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	c.writeUsage(e.stdout)
	return exitOK
}
