package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// env is everything a command may touch outside its arguments, so that tests can run the CLI
// in-process with their own streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one berth subcommand. Each lives in its own file and registers itself in init,
// so commands can be added without touching a shared table.
type command struct {
	name    string
	summary string
	usage   string // full usage text after "berth NAME"
	// run parses args and returns the exit code.
	run func(e *env, args []string) int
	// pending names the issue that builds a command not built yet; such a command is listed
	// in help but exits 1 with a message.
	pending string
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan: changes pending; drift: drift found
	exitBusy    = 3 // drift: an apply holds a host lock
)

func run(args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitError
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(e.stdout, "usage: berth %s %s\n\n%s\n", c.name, c.usage, c.summary)
				return exitOK
			}
		}
		usage(e.stdout)
		return exitOK
	case "-v", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "error: unknown command %q\n", name)
		if s := closest(name, commandNames()); s != "" {
			fmt.Fprintf(e.stderr, "hint: did you mean %q?\n", s)
		}
		fmt.Fprintln(e.stderr, "hint: run 'berth --help' for the list of commands")
		return exitError
	}
	if c.pending != "" {
		fmt.Fprintf(e.stderr, "error: berth %s is not built yet (%s)\n", c.name, c.pending)
		return exitError
	}
	return c.run(e, args[1:])
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, `berth provisions Docker hosts over SSH from an HCL inventory and runs compose stacks on them.

usage: berth COMMAND [flags] [args]

commands:
`)
	for _, n := range commandNames() {
		c := commands[n]
		s := c.summary
		if c.pending != "" {
			s += " (not built yet)"
		}
		fmt.Fprintf(w, "  %-10s %s\n", n, s)
	}
	fmt.Fprint(w, `
common flags: -l/--limit SELECTOR, -p/--parallel N, --json, --no-color
exit codes: 0 ok, 1 error, 2 changes pending (plan) or drift found (drift), 3 busy (drift)
run 'berth help COMMAND' for a command's usage.
`)
}

// newFlags makes a flag set that reports errors on the command's stderr with its usage.
func newFlags(e *env, c string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		if cmd, ok := commands[c]; ok {
			fmt.Fprintf(e.stderr, "usage: berth %s %s\n", c, cmd.usage)
		}
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may come before or after positional arguments, as ops people
// type them ("berth plan prod --json"). Everything after "--" is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// closest returns the candidate nearest to s when it is close enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if bestD > len(s)/2+1 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
