package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
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

// command is one berth command or subcommand. Each lives in its own file and registers itself
// in init, so commands can be added without touching a shared table.
type command struct {
	name    string // as typed after "berth" or after its parent: "plan", "run"
	summary string
	args    []param // positional arguments, required ones first
	argv    string  // what follows "--" for a command that runs one ("CMD..." for exec); required when set
	about   string  // more about the command, printed after its flags
	// setup defines the command's flags on fs and returns what runs once they are parsed. It
	// is the one place a command's flags are defined: parsing, --help and 'berth help' all
	// build the flag set through it, so they cannot disagree.
	setup func(fs *flag.FlagSet) action
	// subs are the subcommands of a command that only groups others (runbook, hosts); such
	// a command has no setup of its own.
	subs   []*command
	parent *command
}

// action runs a command once its flags and arguments were parsed and checked.
type action func(e *env, in invocation) int

// invocation is a command line after its flags were parsed.
type invocation struct {
	args []string // positional arguments, as many as the command declares
	argv []string // after "--", for a command with argv
}

// param is one positional argument of a command, named as the usage shows it.
type param struct {
	name     string
	optional bool
	many     bool // the last param only: takes every remaining argument (berth init DIR HOST...)
}

func required(name string) param { return param{name: name} }
func optional(name string) param { return param{name: name, optional: true} }
func optionalMany(name string) param {
	return param{name: name, optional: true, many: true}
}

var commands = map[string]*command{}

// register adds a top-level command and links its subcommands to it.
func register(c *command) {
	for _, s := range c.subs {
		s.parent = c
	}
	commands[c.name] = c
}

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan: changes pending; drift: drift found
	exitBusy    = 3 // drift: an apply holds a host lock
)

func run(args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "error: berth needs a command")
		commandList(e.stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help":
		args = append([]string{"help"}, args[1:]...)
	case "-v", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	c, err := lookup(args[:1])
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	return c.exec(e, args[1:])
}

// lookup finds the command a path of names ("runbook", "run") designates.
func lookup(path []string) (*command, error) {
	c, ok := commands[path[0]]
	if !ok {
		return nil, unknown("command", path[0], commandNames(), "; run 'berth help' for the list of commands")
	}
	for _, name := range path[1:] {
		s, err := c.sub(name)
		if err != nil {
			return nil, err
		}
		c = s
	}
	return c, nil
}

// unknown is the error for a name that is not one of names, with a suggestion when one is
// close and otherwise the fallback.
func unknown(what, name string, names []string, fallback string) error {
	if s := closest(name, names); s != "" {
		return fmt.Errorf("unknown %s %q; did you mean %q?", what, name, s)
	}
	return fmt.Errorf("unknown %s %q%s", what, name, fallback)
}

// path is the command's name as typed after "berth": "plan", "runbook run".
func (c *command) path() string {
	if c.parent != nil {
		return c.parent.path() + " " + c.name
	}
	return c.name
}

func (c *command) sub(name string) (*command, error) {
	for _, s := range c.subs {
		if s.name == name {
			return s, nil
		}
	}
	if len(c.subs) == 0 {
		return nil, fmt.Errorf("berth %s has no subcommands", c.path())
	}
	return nil, unknown(c.path()+" subcommand", name, c.subNames(), "; use "+orList(c.subNames()))
}

func (c *command) subNames() []string {
	names := make([]string, len(c.subs))
	for i, s := range c.subs {
		names[i] = s.name
	}
	return names
}

// exec runs the command with the arguments after its name.
func (c *command) exec(e *env, args []string) int {
	if len(c.subs) > 0 {
		return c.execSub(e, args)
	}
	fs, act := c.flagSet()
	in, err := c.parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.writeUsage(e.stdout)
		return exitOK
	case err != nil:
		return c.usageError(e, err)
	}
	return act(e, in)
}

func (c *command) execSub(e *env, args []string) int {
	if len(args) == 0 {
		return c.usageError(e, fmt.Errorf("berth %s needs a subcommand: %s", c.path(), orList(c.subNames())))
	}
	if isHelp(args[0]) {
		c.writeUsage(e.stdout)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		return c.usageError(e, fmt.Errorf("berth %s needs a subcommand before any flag: %s", c.path(), orList(c.subNames())))
	}
	s, err := c.sub(args[0])
	if err != nil {
		return c.usageError(e, err)
	}
	return s.exec(e, args[1:])
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// usageError reports a command line that does not fit the command: one error line, then the
// usage, on stderr; exit 1.
func (c *command) usageError(e *env, err error) int {
	fmt.Fprintf(e.stderr, "error: %v\n", err)
	c.writeUsage(e.stderr)
	return exitError
}

// flagSet builds the command's flag set. Every leaf command accepts --no-color, the common
// flag that makes sense everywhere something is printed; a command that has colors or a live
// view defines it itself.
func (c *command) flagSet() (*flag.FlagSet, action) {
	fs := flag.NewFlagSet("berth "+c.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and usage are printed by exec, once
	fs.Usage = func() {}
	var act action
	if c.setup != nil {
		act = c.setup(fs)
	}
	if len(c.subs) == 0 && fs.Lookup("no-color") == nil {
		fs.Bool("no-color", false, "no colors (this command prints none; accepted by every command)")
	}
	return fs, act
}

// parse parses flags and arguments and checks the arguments against the command's params.
func (c *command) parse(fs *flag.FlagSet, args []string) (invocation, error) {
	var in invocation
	if c.argv != "" {
		if i := slices.Index(args, "--"); i >= 0 {
			args, in.argv = args[:i], args[i+1:]
		}
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return in, c.flagError(fs, err)
	}
	if err := c.checkArgs(pos); err != nil {
		return in, err
	}
	if c.argv != "" && len(in.argv) == 0 {
		return in, fmt.Errorf("berth %s needs a command after --", c.path())
	}
	in.args = pos
	return in, nil
}

// commonFlags are the flags the README promises across commands, by each of their names.
var commonFlags = map[string]string{
	"l": "-l/--limit", "limit": "-l/--limit", "p": "-p/--parallel", "parallel": "-p/--parallel",
	"json": "--json", "no-color": "--no-color",
}

// flagError rewords the flag package's error for a flag the command does not define: a
// common flag the command has no use for is refused by name, a typo gets a suggestion.
func (c *command) flagError(fs *flag.FlagSet, err error) error {
	// The flag package has no error type for this; its message is stable.
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	if common, ok := commonFlags[name]; ok {
		return fmt.Errorf("berth %s does not take %s", c.path(), common)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if s := closest(name, names); s != "" {
		return fmt.Errorf("unknown flag %s; did you mean %s?", dashed(name), dashed(s))
	}
	return fmt.Errorf("unknown flag %s; 'berth help %s' lists the flags", dashed(name), c.path())
}

// checkArgs checks the number of positional arguments against the command's params.
func (c *command) checkArgs(pos []string) error {
	need := 0
	for _, p := range c.args {
		if !p.optional {
			need++
		}
	}
	switch {
	case len(pos) < need:
		return fmt.Errorf("berth %s needs %s", c.path(), c.args[len(pos)].name)
	case len(c.args) > 0 && c.args[len(c.args)-1].many:
		return nil
	case len(pos) > len(c.args) && len(c.args) == 0:
		return fmt.Errorf("berth %s takes no arguments, got %s", c.path(), strings.Join(pos, " "))
	case len(pos) > len(c.args):
		return fmt.Errorf("berth %s takes at most %d %s (%s), got %d: %s", c.path(), len(c.args),
			plural(len(c.args), "argument", "arguments"), c.synopsisArgs(), len(pos), strings.Join(pos, " "))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// allCommands is every command and subcommand, parents before their subcommands, sorted.
func allCommands() []*command {
	var all []*command
	for _, n := range commandNames() {
		c := commands[n]
		all = append(all, c)
		all = append(all, c.subs...)
	}
	return all
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
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
