package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/kevinburke/ssh_config"
)

func init() {
	register(&command{
		name:    "init",
		summary: "scaffold an inventory: hosts, the docker and syslog layer, an example stack",
		args:    []param{optional("DIR"), optionalMany("HOST")},
		about: `Writes DIR/hosts.hcl, layer.hcl, stacks.hcl, stacks/web/ and .gitignore (secrets/, *.vars
and the runbook journals in .berth/ stay out of git). With no HOST, the hosts are the Host
entries of ~/.ssh/config without wildcards; each host's address is its name, so berth reaches
it through the same ~/.ssh/config entry. init never overwrites: when one of its files exists,
or DIR already holds *.hcl files, it writes nothing. Exit codes: 0 created, 1 error.`,
		setup: func(*flag.FlagSet) action {
			return func(e *env, in invocation) int {
				return runInit(e, dirArg(in.args), in.args[min(1, len(in.args)):])
			}
		},
	})
}

// scaffoldHost is a host of the scaffold: a berth name and the address berth dials, which
// ~/.ssh/config resolves like ssh does.
type scaffoldHost struct{ name, address string }

func runInit(e *env, dir string, args []string) int {
	hosts, from, err := initHosts(e, args)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	files := scaffoldFiles(hosts)
	if err := checkNoInventory(dir, files); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\nhint: berth init writes nothing over existing files; choose a new or empty directory\n", err)
		return exitError
	}
	names := sortedNames(files)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := writeFileAtomic(path, []byte(files[name]), 0o644); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitError
		}
	}
	fmt.Fprintf(e.stdout, "created %s: %s\n", dir, strings.Join(names, ", "))
	hostNames := make([]string, len(hosts))
	for i, h := range hosts {
		hostNames[i] = h.name
	}
	fmt.Fprintf(e.stdout, "hosts: %s (%s)\n\nnext:\n", strings.Join(hostNames, ", "), from)
	next := [][2]string{
		{"berth hosts trust " + hosts[0].name + " " + dir, "for each host: check and pin its SSH host key"},
		{"berth plan " + dir, "what would change on the hosts; changes nothing"},
		{"berth apply " + dir, "make it so"},
	}
	for _, n := range next {
		fmt.Fprintf(e.stdout, "  %-*s  # %s\n", len(next[0][0]), n[0], n[1])
	}
	return exitOK
}

// initHosts returns the hosts from the arguments, else from ~/.ssh/config, else one example
// host on a documentation address; and where they came from.
func initHosts(e *env, args []string) ([]scaffoldHost, string, error) {
	from := "from the command line"
	if len(args) == 0 {
		var err error
		if args, err = sshConfigHosts(e.getenv("HOME")); err != nil {
			return nil, "", err
		}
		from = "from the Host entries of ~/.ssh/config"
	}
	if len(args) == 0 {
		return []scaffoldHost{{name: "app-1", address: "192.0.2.10"}}, "an example: no HOST given and no Host entry in ~/.ssh/config; edit hosts.hcl", nil
	}
	seen := map[string]string{}
	var hosts []scaffoldHost
	for _, a := range args {
		if !scaffoldAddress.MatchString(a) {
			return nil, "", fmt.Errorf("host %q: not a host name or address berth can use", a)
		}
		name := scaffoldName(a)
		if name == "" {
			return nil, "", fmt.Errorf("host %q: no usable name in it", a)
		}
		if prev, ok := seen[name]; ok {
			return nil, "", fmt.Errorf("hosts %q and %q would both be named %q", prev, a, name)
		}
		seen[name] = a
		hosts = append(hosts, scaffoldHost{name: name, address: a})
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].name < hosts[j].name })
	return hosts, from, nil
}

// scaffoldAddress is the inventory's address rule (docs/inventory.md, host).
var scaffoldAddress = regexp.MustCompile(`^[A-Za-z0-9_\[][A-Za-z0-9_.:%\[\]-]*$`)

// scaffoldName is a host's berth name: lowercase, other characters than a-z 0-9 _ . - as '-'.
func scaffoldName(addr string) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(addr))
	name = strings.TrimLeft(name, "_.-")
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// sshConfigHosts returns the Host aliases of home/.ssh/config that name one host: patterns
// with *, ? or ! are left out. A missing file is no host, not an error.
func sshConfigHosts(home string) ([]string, error) {
	if home == "" {
		return nil, nil
	}
	path := filepath.Join(home, ".ssh", "config")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	set := map[string]bool{}
	for _, h := range cfg.Hosts {
		for _, p := range h.Patterns {
			s := p.String()
			if !strings.ContainsAny(s, "*?!") && scaffoldAddress.MatchString(s) {
				set[s] = true
			}
		}
	}
	return sortedNames(set), nil
}

// checkNoInventory refuses a directory where the scaffold would overwrite a file or add
// hosts to an inventory that is already there.
func checkNoInventory(dir string, files map[string]string) error {
	var exist []string
	for _, name := range sortedNames(files) {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
			exist = append(exist, name)
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("%s already has %s", dir, strings.Join(exist, ", "))
	}
	hcl, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if len(hcl) > 0 {
		return fmt.Errorf("%s already holds an inventory (%s)", dir, filepath.Base(hcl[0]))
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
