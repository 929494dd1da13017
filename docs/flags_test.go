package docs

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// Every command-line flag the documents name must exist on the command they name it with.
// The flags are read from the help of a berth binary built from this tree, so the check
// follows the code, not a list kept by hand.
//
// Where a flag is attributed:
//   - a command line (`berth apply inventory/ --yes` in backticks, a line of a code block, a
//     heading): the flags after it belong to that command, and to its subcommand when the
//     next word is one (berth runbook run, berth hosts trust); "--", "#", ">", "|" and ";"
//     end it (what follows is a remote command, a comment or the shell's);
//   - a flag alone in backticks (`--junit FILE`): the command of the last command line in the
//     same paragraph, list item or table row, else the one its section's heading names, else
//     any berth command;
//   - flags of other programs the documents mention (compose, sudo, the test bed) are listed
//     in otherPrograms and not checked when they stand alone.

// otherPrograms are flags named alone in the documents that are not berth's, with their program.
var otherPrograms = map[string]string{
	"cap-add":           "docker run (docs/testbed.md)",
	"cap-drop":          "docker run (docs/testbed.md)",
	"check":             "ansible-playbook (docs/performance.md)",
	"docker":            "integration/cmd/testbed (docs/testbed.md)",
	"hold":              "integration/bench (docs/performance.md)",
	"n":                 "sudo (docs/ssh.md, docs/security.md)",
	"oProxyCommand":     "ssh (docs/inventory.md)",
	"privileged":        "docker run (docs/testbed.md)",
	"project-directory": "docker compose (docs/hosts.md)",
	"release":           "integration/cmd/testbed (docs/testbed.md)",
	"tools":             "integration/bench (docs/performance.md)",
	"v":                 "docker compose down, go test (docs/stacks.md, docs/testbed.md)",
}

// cli is what berth's help says about its commands.
type cli struct {
	bin, dir string
	commands map[string]bool
	subs     map[string]map[string]bool // command -> subcommands
	flags    map[string]map[string]bool // "plan", "runbook run" -> flag names without dashes
}

func buildCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{dir: t.TempDir(), commands: map[string]bool{}, subs: map[string]map[string]bool{}, flags: map[string]map[string]bool{}}
	c.bin = filepath.Join(c.dir, "berth")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "github.com/berth-dev/berth/cmd/berth").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/berth: %v\n%s", err, out)
	}
	// "  hosts          manage host keys" and, for a subcommand, "  hosts trust    fetch ...".
	for _, m := range regexp.MustCompile(`(?m)^\s{1,4}([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?\s{2,}\S`).FindAllStringSubmatch(c.help("--help"), -1) {
		c.commands[m[1]] = true
		if m[2] != "" {
			if c.subs[m[1]] == nil {
				c.subs[m[1]] = map[string]bool{}
			}
			c.subs[m[1]][m[2]] = true
		}
	}
	if len(c.commands) < 5 {
		t.Fatalf("berth --help lists %d commands; cannot read its format:\n%s", len(c.commands), c.help("--help"))
	}
	for cmd := range c.commands {
		if c.subs[cmd] == nil {
			c.subs[cmd] = map[string]bool{}
		}
		re := regexp.MustCompile(`berth ` + cmd + ` ([a-z][a-z0-9-]*)\b`)
		for _, m := range re.FindAllStringSubmatch(c.help("help", cmd)+c.help(cmd, "--help"), -1) {
			c.subs[cmd][m[1]] = true
		}
	}
	return c
}

// help runs berth with args and returns stdout and stderr together, whatever the exit code:
// help goes to either stream depending on the version.
func (c *cli) help(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir // no inventory here: nothing a help request could reach
	cmd.Env = []string{"HOME=" + c.dir, "PATH=/usr/bin:/bin", "BERTH_AGENT=0"}
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// flagsOf returns the flags of a command key ("drift", "runbook run"). When `--help` shows no
// flag (berth exec wants its "--" first), it asks again with an empty remote command.
func (c *cli) flagsOf(key string) map[string]bool {
	if f, ok := c.flags[key]; ok {
		return f
	}
	args := strings.Fields(key)
	f := parseHelpFlags(c.help(append(args, "--help")...))
	if len(f) == 0 {
		f = parseHelpFlags(c.help(append(args, "--help", "--", "true")...))
	}
	c.flags[key] = f
	return f
}

// allFlags is the union of every command's flags, for flags named without a command.
func (c *cli) allFlags() map[string]bool {
	all := map[string]bool{}
	for cmd := range c.commands {
		keys := []string{cmd}
		for s := range c.subs[cmd] {
			keys = append(keys, cmd+" "+s)
		}
		for _, k := range keys {
			for f := range c.flagsOf(k) {
				all[f] = true
			}
		}
	}
	return all
}

var flagRe = regexp.MustCompile(`^--?([A-Za-z][A-Za-z0-9-]*)(=.*)?$`)

// parseHelpFlags reads flag definitions from help text: lines that start with a flag, in
// flag.PrintDefaults style ("  -lock-timeout duration") or getopt style
// ("  -l, --limit SELECTOR   limit to ...").
func parseHelpFlags(out string) map[string]bool {
	flags := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "-") {
			continue
		}
		for _, tok := range strings.Fields(l) {
			names := flagNames(strings.TrimSuffix(tok, ","))
			if names == nil {
				break
			}
			for _, n := range names {
				flags[n] = true
			}
		}
	}
	return flags
}

// flagNames splits "-l/--limit" or "--json" into names; nil when tok is not only flags.
func flagNames(tok string) []string {
	var out []string
	for _, p := range strings.Split(tok, "/") {
		m := flagRe.FindStringSubmatch(p)
		if m == nil {
			return nil
		}
		out = append(out, m[1])
	}
	return out
}

// flagUse is one flag named in a document, with the command it is attributed to ("" for any).
type flagUse struct {
	where string // docs/x.md:LINE
	key   string
	flag  string
	text  string // the command line or backtick span it was read from
}

var (
	berthCmdRe = regexp.MustCompile(`(?:^|[\s;&|(:'"])berth\s+([a-z][a-z0-9-]*)`)
	listItemRe = regexp.MustCompile(`^\s*([-*+]|\d+\.)\s`)
	indentRe   = regexp.MustCompile(`^(    |\t)\s*berth\s`)
)

// commandLines finds the berth commands in s and the flags given to each.
func (c *cli) commandLines(s string) (keys []string, uses [][]string) {
	for _, loc := range berthCmdRe.FindAllStringSubmatchIndex(s, -1) {
		cmd := s[loc[2]:loc[3]]
		if !c.commands[cmd] {
			continue
		}
		key, toks := cmd, strings.Fields(s[loc[3]:])
		if len(toks) > 0 && c.subs[cmd][toks[0]] {
			key, toks = cmd+" "+toks[0], toks[1:]
		}
		keys = append(keys, key)
		uses = append(uses, argFlags(toks))
	}
	return keys, uses
}

// argFlags returns the flags among a command's arguments, up to the end of the command.
func argFlags(toks []string) []string {
	var out []string
	depth := 0
	for _, tok := range toks {
		if depth == 0 && (tok == "--" || tok == "berth" || strings.HasPrefix(tok, "#") || strings.ContainsAny(tok[:1], "|&><") || strings.HasPrefix(tok, "2>")) {
			break
		}
		end := false
		if i := strings.Index(tok, ";"); i >= 0 && depth == 0 {
			tok, end = tok[:i], true
		}
		depth += strings.Count(tok, "[") - strings.Count(tok, "]")
		out = append(out, flagNames(strings.Trim(tok, "[](),."))...)
		if end {
			break
		}
	}
	return out
}

// flagUses reads every flag a document names, with the command it belongs to.
func (c *cli) flagUses(d doc) []flagUse {
	var uses []flagUse
	add := func(line int, key, text string, flags []string) {
		for _, f := range flags {
			uses = append(uses, flagUse{where: fmt.Sprintf("%s:%d", d.name, line), key: key, flag: f, text: text})
		}
	}
	heading := ""
	var block []string
	blockStart := 0
	flush := func() {
		if len(block) > 0 {
			uses = append(uses, c.blockUses(d, blockStart, strings.Join(block, "\n"), heading)...)
		}
		block = nil
	}
	fence, hclFence := "", false
	for i, l := range d.lines {
		if fm := fenceRe.FindStringSubmatch(l); fm != nil && (fence == "" || strings.Trim(strings.TrimSpace(l), fence[:1]) == "") {
			flush()
			if fence == "" {
				fence, hclFence = fm[2], fm[3] == "hcl"
			} else {
				fence = ""
			}
			continue
		}
		if fence != "" {
			if !hclFence {
				keys, flags := c.commandLines(l)
				for k := range keys {
					add(i+1, keys[k], strings.TrimSpace(l), flags[k])
				}
			}
			continue
		}
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trimmed, "#"):
			flush()
			heading = ""
			for _, m := range spanRe.FindAllStringSubmatch(trimmed, -1) {
				if keys, _ := c.commandLines(m[1]); heading == "" && strings.HasPrefix(m[1], "berth ") && len(keys) > 0 {
					heading = keys[0]
				}
			}
			blockStart = i + 1
			block = []string{l}
			flush()
			continue
		case indentRe.MatchString(l):
			flush()
			keys, flags := c.commandLines(l)
			for k := range keys {
				add(i+1, keys[k], trimmed, flags[k])
			}
			continue
		case trimmed == "" || strings.HasPrefix(trimmed, "<!--"):
			flush()
			continue
		case listItemRe.MatchString(l) || strings.HasPrefix(trimmed, "|"):
			flush()
		}
		if len(block) == 0 {
			blockStart = i + 1
		}
		block = append(block, l)
	}
	flush()
	return uses
}

// blockUses reads the backtick spans of one paragraph, list item, table row or heading.
func (c *cli) blockUses(d doc, start int, text, heading string) []flagUse {
	var uses []flagUse
	ctx := ""
	for _, loc := range spanRe.FindAllStringSubmatchIndex(text, -1) {
		span := strings.Join(strings.Fields(text[loc[2]:loc[3]]), " ")
		where := fmt.Sprintf("%s:%d", d.name, start+strings.Count(text[:loc[0]], "\n"))
		if strings.HasPrefix(span, "berth ") {
			keys, flags := c.commandLines(span)
			for k := range keys {
				ctx = keys[k]
				for _, f := range flags[k] {
					uses = append(uses, flagUse{where: where, key: keys[k], flag: f, text: span})
				}
			}
			continue
		}
		if !strings.HasPrefix(span, "-") {
			continue
		}
		key := ctx
		if key == "" {
			key = heading
		}
		for _, f := range argFlags(strings.Fields(span)) {
			if _, other := otherPrograms[f]; !other {
				uses = append(uses, flagUse{where: where, key: key, flag: f, text: span})
			}
		}
	}
	return uses
}

// TestFlags checks every flag named in README.md and docs/*.md against berth's help.
func TestFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the berth binary")
	}
	c := buildCLI(t)
	all := c.allFlags()
	n := 0
	for _, d := range readDocs(t) {
		for _, u := range c.flagUses(d) {
			n++
			if u.key == "" {
				if !all[u.flag] {
					t.Errorf("%s: %s (in `%s`) is a flag of no berth command", u.where, dashes(u.flag), u.text)
				}
				continue
			}
			if f := c.flagsOf(u.key); !f[u.flag] {
				t.Errorf("%s: %s (in `%s`) is not a flag of berth %s; its help lists %s", u.where, dashes(u.flag), u.text, u.key, list(f))
			}
		}
	}
	t.Logf("%d flag mentions checked against %d commands", n, len(c.flags))
	if n < 20 {
		t.Errorf("found only %d flag mentions: is the scanner broken?", n)
	}
}

func dashes(f string) string {
	if len(f) == 1 {
		return "-" + f
	}
	return "--" + f
}

func list(flags map[string]bool) string {
	if len(flags) == 0 {
		return "no flag"
	}
	var out []string
	for f := range flags {
		out = append(out, dashes(f))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestParseHelpFlags reads both help layouts: flag.PrintDefaults (berth until now, on
// stderr) and a hand-written table (help printed on stdout).
func TestParseHelpFlags(t *testing.T) {
	defaults := "usage: berth drift [DIR] [--junit FILE]\n  -junit string\n    \talso write a JUnit XML report\n  -l string\n    \tlimit to hosts\n  -lock-timeout duration\n    \twait (default: fail at once)\n"
	table := "usage: berth drift [DIR] [--junit FILE]\n\nflags:\n  -l, --limit SELECTOR   limit to hosts\n  --junit FILE           also write a JUnit XML report\n  --lock-timeout D       wait this long\n  -p/--parallel N        hosts at once\n"
	for name, c := range map[string]struct {
		help string
		want string
	}{
		"PrintDefaults": {defaults, "--junit --lock-timeout -l"},
		"table":         {table, "--junit --limit --lock-timeout --parallel -l -p"},
	} {
		if got := list(parseHelpFlags(c.help)); got != c.want {
			t.Errorf("%s: got %s, want %s", name, got, c.want)
		}
	}
}

// TestArgFlags ends a command where the shell or the remote command takes over.
func TestArgFlags(t *testing.T) {
	for line, want := range map[string]string{
		"inventory/ -l app-1 -- uptime":                         "l",
		"[DIR] [--from STEP | --only STEP] [--yes]":             "from only yes",
		"inventory/ --no-color > /var/log/drift.log 2>&1; echo": "no-color",
		"inventory/ --junit drift.xml   # nightly: -x":          "junit",
		"HOST --id ID; then berth apply --yes":                  "id",
	} {
		if got := strings.Join(argFlags(strings.Fields(line)), " "); got != want {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
}
