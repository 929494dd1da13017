package main

import (
	"bytes"
	"flag"
	"slices"
	"strings"
	"testing"
)

// berth runs the CLI in-process and returns its exit code, stdout and stderr.
func berth(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(args, e)
	return code, out.String(), errOut.String()
}

// TestEveryCommandHelp: --help and -h print the usage on stdout, exit 0, and list every flag
// the command parses, with its default; 'berth help X' prints the same.
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range allCommands() {
		t.Run(c.path(), func(t *testing.T) {
			if (c.setup == nil) == (len(c.subs) == 0) {
				t.Fatalf("a command needs either a setup or subcommands, not both")
			}
			path := strings.Fields(c.path())
			code, help, stderr := berth(append(path, "--help")...)
			if code != exitOK || stderr != "" {
				t.Fatalf("--help: exit %d, stderr %q", code, stderr)
			}
			if !strings.HasPrefix(help, "usage: berth "+c.path()+" ") {
				t.Errorf("--help does not start with the usage line:\n%s", help)
			}
			if n := strings.Count(help, "usage: "); n != 1 {
				t.Errorf("--help prints the usage %d times:\n%s", n, help)
			}
			if !strings.Contains(help, c.summary) {
				t.Errorf("--help lacks the summary %q", c.summary)
			}
			fs, _ := c.flagSet()
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(help, dashed(f.Name)) {
					t.Errorf("--help does not list %s:\n%s", dashed(f.Name), help)
				}
				if !zeroDefault(f) && !strings.Contains(help, "(default "+f.DefValue+")") {
					t.Errorf("--help does not show the default %s of %s", f.DefValue, dashed(f.Name))
				}
			})
			for _, s := range c.subs {
				if !strings.Contains(help, s.name) {
					t.Errorf("--help does not list the subcommand %s", s.name)
				}
			}
			for _, args := range [][]string{append(path, "-h"), append([]string{"help"}, path...)} {
				code, out, stderr := berth(args...)
				if code != exitOK || stderr != "" || out != help {
					t.Errorf("berth %s: exit %d, stderr %q, stdout differs from --help:\n%s", strings.Join(args, " "), code, stderr, out)
				}
			}
		})
	}
}

// TestEveryCommandUnknownFlag: an unknown flag is one error line, then the usage, on stderr.
func TestEveryCommandUnknownFlag(t *testing.T) {
	for _, c := range allCommands() {
		t.Run(c.path(), func(t *testing.T) {
			path := strings.Fields(c.path())
			_, help, _ := berth(append(path, "--help")...)
			code, stdout, stderr := berth(append(path, "--no-such-flag")...)
			if code != exitError || stdout != "" {
				t.Fatalf("exit %d, stdout %q", code, stdout)
			}
			first, rest, _ := strings.Cut(stderr, "\n")
			if !strings.HasPrefix(first, "error: ") || strings.Contains(rest, "error:") {
				t.Errorf("want exactly one error line, got:\n%s", stderr)
			}
			if rest != help {
				t.Errorf("the error is not followed by the usage:\n%s", stderr)
			}
		})
	}
}

// commonAccepted says, for every leaf command, which common flags it takes besides
// --no-color (which every command takes). A new command must be added here: deciding
// whether it takes -l, -p and --json is part of adding it.
var commonAccepted = map[string][]string{
	"agent":            {},
	"apply":            {"l", "p", "json"},
	"rollback":         {"l", "p", "json"},
	"history":          {"l", "p", "json"},
	"completion bash":  {},
	"completion names": {},
	"completion zsh":   {},
	"drift":            {"l", "p", "json"},
	"exec":             {"l", "p", "json"},
	"export swarm":     {},
	"facts":            {"l", "p", "json"},
	"help":             {},
	"hosts list":       {"l", "json"},
	"hosts trust":      {"l", "json"},
	"import ansible":   {},
	"init":             {},
	"plan":             {"l", "p", "json"},
	"runbook run":      {"l", "p", "json"},
	"runbook status":   {"l", "json"},
	"runbook undo":     {"l", "p", "json"},
	"runs":             {"l", "json"},
	"unlock":           {"l", "json"},
	"validate":         {"l", "json"},
	"version":          {},
}

// TestCommonFlags: the common flags are defined, under both names, where they make sense;
// elsewhere they are refused by name in one error line.
func TestCommonFlags(t *testing.T) {
	long := map[string]string{"l": "limit", "p": "parallel"}
	for _, c := range allCommands() {
		if len(c.subs) > 0 {
			continue
		}
		t.Run(c.path(), func(t *testing.T) {
			want, ok := commonAccepted[c.path()]
			if !ok {
				t.Fatalf("add %q to commonAccepted", c.path())
			}
			fs, _ := c.flagSet()
			if fs.Lookup("no-color") == nil {
				t.Errorf("--no-color is not accepted")
			}
			for _, name := range []string{"l", "p", "json"} {
				names := []string{name}
				if l, ok := long[name]; ok {
					names = append(names, l)
				}
				for _, n := range names {
					if got := fs.Lookup(n) != nil; got != slices.Contains(want, name) {
						t.Errorf("%s defined: %v, want %v", dashed(n), got, !got)
					}
					if fs.Lookup(n) != nil {
						continue
					}
					arg := []string{dashed(n)}
					if n != "json" {
						arg = append(arg, "1")
					}
					code, _, stderr := berth(append(strings.Fields(c.path()), arg...)...)
					first, _, _ := strings.Cut(stderr, "\n")
					if code != exitError || !strings.HasPrefix(first, "error: berth "+c.path()+" does not take ") {
						t.Errorf("%s: exit %d, stderr:\n%s", dashed(n), code, stderr)
					}
				}
			}
		})
	}
}

// TestTopLevelHelp: berth help, --help and -h print the list of every command on stdout.
func TestTopLevelHelp(t *testing.T) {
	_, list, _ := berth("help")
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, stderr := berth(args...)
		if code != exitOK || stderr != "" || out != list {
			t.Errorf("berth %s: exit %d, stderr %q, stdout:\n%s", args[0], code, stderr, out)
		}
	}
	for _, c := range allCommands() {
		if !strings.Contains(list, c.path()) {
			t.Errorf("berth help does not list %s", c.path())
		}
	}
}

// TestUsageErrors: wrong arguments are one error line saying what is wrong, then the usage.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the error line
	}{
		{[]string{"plan", "a", "b"}, "error: berth plan takes at most 1 argument ([DIR]), got 2: a b"},
		{[]string{"unlock"}, "error: berth unlock needs HOST"},
		{[]string{"hosts", "trust", "h1", "inv", "x"}, "error: berth hosts trust takes at most 2 arguments (HOST [DIR]), got 3: h1 inv x"},
		{[]string{"version", "x"}, "error: berth version takes no arguments, got x"},
		{[]string{"exec", "-l", "h1"}, "error: berth exec needs a command after --"},
		{[]string{"runbook"}, "error: berth runbook needs a subcommand: run, status or undo"},
		{[]string{"runbook", "go"}, `error: unknown runbook subcommand "go"; use run, status or undo`},
		{[]string{"hosts", "tust"}, `error: unknown hosts subcommand "tust"; did you mean "trust"?`},
		{[]string{"plan", "--forse-recreate"}, "error: unknown flag --forse-recreate; did you mean --force-recreate?"},
		{[]string{"validate", "-p", "2"}, "error: berth validate does not take -p/--parallel"},
	} {
		code, stdout, stderr := berth(tc.args...)
		first, rest, _ := strings.Cut(stderr, "\n")
		if code != exitError || stdout != "" || first != tc.want || !strings.HasPrefix(rest, "usage: berth ") {
			t.Errorf("berth %s: exit %d, stdout %q, stderr:\n%s\nwant first line %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
		}
	}
}

// TestHelpUnknown: 'berth help X' for a command that does not exist is one error line.
func TestHelpUnknown(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "bogus"}, "error: unknown command \"bogus\"; run 'berth help' for the list of commands\n"},
		{[]string{"help", "plna"}, "error: unknown command \"plna\"; did you mean \"plan\"?\n"},
		{[]string{"help", "runbook", "stauts"}, "error: unknown runbook subcommand \"stauts\"; did you mean \"status\"?\n"},
		{[]string{"help", "plan", "x"}, "error: berth plan has no subcommands\n"},
	} {
		code, stdout, stderr := berth(tc.args...)
		if code != exitError || stdout != "" || stderr != tc.want {
			t.Errorf("berth %s: exit %d, stdout %q, stderr %q, want %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
		}
	}
}
