package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// writeUsage prints what 'berth help PATH' and 'berth PATH --help' print: the usage line,
// the summary, then the subcommands or every flag of the flag set the command parses.
func (c *command) writeUsage(w io.Writer) {
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "usage: berth %s SUBCOMMAND [flags] [args]\n\n%s\n\nsubcommands:\n", c.path(), c.summary)
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nrun 'berth help %s SUBCOMMAND' for a subcommand's usage.\n", c.path())
		return
	}
	line := "usage: berth " + c.path() + " [flags]"
	if a := c.synopsisArgs(); a != "" {
		line += " " + a
	}
	if c.argv != "" {
		line += " -- " + c.argv
	}
	fmt.Fprintf(w, "%s\n\n%s\n\nflags (one dash or two):\n", line, c.summary)
	fs, _ := c.flagSet()
	writeFlags(w, fs)
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
}

// synopsisArgs is the positional arguments as the usage line shows them: "HOST [DIR]".
func (c *command) synopsisArgs() string {
	parts := make([]string, len(c.args))
	for i, p := range c.args {
		parts[i] = p.name
		if p.many {
			parts[i] += "..."
		}
		if p.optional {
			parts[i] = "[" + parts[i] + "]"
		}
	}
	return strings.Join(parts, " ")
}

// writeFlags lists every flag of fs, two lines each: its names and argument, then what it
// does and its default. Flags bound to the same variable (-l and --limit) are one entry.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	for _, names := range flagNames(fs) {
		f := fs.Lookup(names[0])
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + dashedList(names)
		if arg != "" {
			line += " " + strings.ToUpper(arg)
		}
		if !zeroDefault(f) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	}
}

// flagNames groups the names of fs's flags by the variable they set, shortest name first;
// the groups are sorted by that name.
func flagNames(fs *flag.FlagSet) [][]string {
	var groups [][]string
	var values []flag.Value
	fs.VisitAll(func(f *flag.Flag) {
		for i, v := range values {
			if sameValue(v, f.Value) {
				groups[i] = append(groups[i], f.Name)
				return
			}
		}
		groups = append(groups, []string{f.Name})
		values = append(values, f.Value)
	})
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool { return len(g[i]) < len(g[j]) })
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i][0] < groups[j][0] })
	return groups
}

// sameValue: two flags set the same variable when their values are the same pointer.
func sameValue(a, b flag.Value) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// zeroDefault reports whether f's default is its type's zero value, which help leaves out
// (as the flag package does).
func zeroDefault(f *flag.Flag) bool {
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	return f.DefValue == z.Interface().(flag.Value).String()
}

// dashed is a flag name as help shows it: -l, --limit.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func dashedList(names []string) string {
	d := make([]string, len(names))
	for i, n := range names {
		d[i] = dashed(n)
	}
	return strings.Join(d, ", ")
}

// commandList is what 'berth help' prints: every command and subcommand with its summary.
func commandList(w io.Writer) {
	fmt.Fprint(w, `berth provisions Docker hosts over SSH from an HCL inventory and runs compose stacks on them.

usage: berth COMMAND [flags] [args]

commands:
`)
	width := 0
	for _, c := range allCommands() {
		width = max(width, len(c.path()))
	}
	for _, c := range allCommands() {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.path(), c.summary) // two spaces: "runbook status" too
	}
	fmt.Fprint(w, `
common flags: -l/--limit SELECTOR, -p/--parallel N, --json, --no-color
exit codes: 0 ok, 1 error, 2 changes pending (plan) or drift found (drift), 3 busy (drift)
run 'berth help COMMAND' for a command's usage and flags.
`)
}
