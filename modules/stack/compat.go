package stack

import (
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/secret"
)

// The compatibility check: compose-go (where berth runs) reads newer syntax than the compose
// of some hosts (docker-compose 1.29 on Debian 12 refuses a top-level name:, for one). The
// only judge of what a host's compose accepts is that compose, so the plan asks it: a probe
// of the observation batch writes the files compose reads into a temporary directory, runs
// `compose config -q` there and removes the directory. Nothing of the stack's directory, its
// containers or images is touched.
//
// The env file is a secret and a probe's command line is not a place for one: the temporary
// .env holds the env file's keys, each with the value 1, so interpolation finds every
// variable it will find on the host. The other files (config, secret and env files of
// services) are created empty: config -q checks that they exist, not what they hold.

// checkDirPrefix is the temporary directory's prefix on the host; messages replace it.
const checkDirPrefix = "/tmp/berth-check."

// maxCheckScript bounds the probe's command line (a single argument is limited to 128 KiB on
// Linux); a larger project is not checked.
const maxCheckScript = 100 << 10

// configProbe returns the compatibility probe, unless the host has no compose yet (the
// host layer installs it first) or the project is too large to pass on a command line.
func (r *Resource) configProbe() (modules.Probe, bool) {
	if !r.spec.CheckCompose {
		return modules.Probe{}, false
	}
	var b strings.Builder
	b.WriteString(`d=$(mktemp -d ` + checkDirPrefix + `XXXXXX) || exit 125; trap 'rm -rf "$d"' EXIT; cd "$d" || exit 125` + "\n")
	write := func(rel string, data []byte) {
		if dir := path.Dir(rel); dir != "." {
			fmt.Fprintf(&b, "mkdir -p %s && ", q(dir))
		}
		fmt.Fprintf(&b, "printf %%s %s | base64 -d > %s || exit 125\n", base64.StdEncoding.EncodeToString(data), q(rel))
	}
	write(ComposeFileName, r.spec.ComposeFile)
	write(OverrideFileName, overrideFile(r.spec))
	if keys := envKeys(r.spec.Env); len(keys) > 0 {
		write(EnvFileName, []byte(strings.Join(keys, "=1\n")+"=1\n"))
	}
	for _, rel := range sortedKeys(r.spec.ConfigFiles) {
		if dir := path.Dir(rel); dir != "." {
			fmt.Fprintf(&b, "mkdir -p %s && ", q(dir))
		}
		fmt.Fprintf(&b, ": > %s || exit 125\n", q(rel))
	}
	argv := r.configArgv(`"$d"`)
	for i, a := range argv {
		if !strings.Contains(a, `"$d"`) {
			argv[i] = q(a)
		}
	}
	b.WriteString(strings.Join(argv, " ") + " 2>&1\n")
	if b.Len() > maxCheckScript {
		return modules.Probe{}, false
	}
	return modules.CmdProbe("sh", "-c", b.String()), true
}

// envKeys lists the variable names of an env file (KEY=... lines), never a value.
func envKeys(env secret.Bytes) []string {
	var keys []string
	for _, line := range strings.Split(string(env), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "export "))
		k, _, ok := strings.Cut(line, "=")
		if ok && envKey.MatchString(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// Check implements modules.Checker: the host's compose refused the project.
func (r *Resource) Check(results []modules.ProbeResult) error {
	if !r.spec.CheckCompose || len(results) == 0 || len(results) != len(r.Probes()) {
		return nil
	}
	if _, ok := r.configProbe(); !ok {
		return nil
	}
	res := results[len(results)-1]
	if res.Missing || res.ExitCode == 0 || res.ExitCode == 125 || res.ExitCode == 126 || res.ExitCode == 127 {
		return nil // passed, or the check itself could not run: the deploy will tell
	}
	out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
	out = checkDir.ReplaceAllString(out, r.spec.Dir)
	out = redact(out, r.spec.Env)
	where := r.spec.Source
	if line := r.sourceLine(out); line > 0 {
		where = fmt.Sprintf("%s:%d", where, line)
	}
	return &IncompatibleError{Stack: r.spec.Name, Where: where, Compose: r.spec.Compose.Generation, Output: out}
}

var checkDir = regexp.MustCompile(regexp.QuoteMeta(checkDirPrefix) + `[A-Za-z0-9]+`)

// IncompatibleError is a stack whose compose file the host's compose cannot read.
type IncompatibleError struct {
	Stack, Where, Compose, Output string
}

func (e *IncompatibleError) Error() string {
	return fmt.Sprintf("stack %s: %s: the compose of this host (%s) cannot read it (compose config -q): %s", e.Stack, e.Where, e.Compose, oneLineOutput(e.Output))
}

// Hint implements the engine's hint interface.
func (e *IncompatibleError) Hint() string {
	if e.Compose == V1 {
		return "docker-compose 1.29 (Debian 12) predates parts of the compose specification; remove what it refuses (a top-level name: is set by berth anyway, as -p), or place the stack on hosts with compose v2"
	}
	return "change the compose file so that this host's compose reads it, or place the stack elsewhere"
}

// propertyName finds the attribute a compose error names, such as `property "name"`,
// `'name' does not match any of the regexes` (v1) or `additional properties 'name' not
// allowed` (v2).
var propertyName = regexp.MustCompile(`propert(?:y|ies) ["']([A-Za-z0-9_.-]+)["']|["']([A-Za-z0-9_.-]+)["'] does not match any of the regexes`)

// sourceLine finds the line of the user's compose file that holds the attribute compose
// names, when it names one at the top level or under a service; 0 otherwise.
func (r *Resource) sourceLine(out string) int {
	m := propertyName.FindStringSubmatch(out)
	if m == nil || len(r.spec.SourceText) == 0 {
		return 0
	}
	name := m[1] + m[2]
	top := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*:`)
	for i, line := range strings.Split(string(r.spec.SourceText), "\n") {
		if top.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

func oneLineOutput(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "WARNING") && !strings.Contains(l, "level=warning") {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}
