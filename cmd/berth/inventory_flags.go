package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/sirupsen/logrus"
)

// compose-go logs warnings through logrus straight to stderr; the inventory turns them into
// diagnostics (unset variables, obsolete version attribute), so the logger is silenced.
func init() { logrus.SetOutput(io.Discard) }

// inventoryFlags are the flags every command that reads an inventory shares.
type inventoryFlags struct {
	vars     varFlag
	varFiles listFlag
	limit    string
	format   string
	json     bool
	// listSources: this command lists source blocks (it connects); sourceMaxAge is
	// --source-max-age.
	listSources  bool
	sourceMaxAge time.Duration
}

// addInventoryFlags registers -var, -var-file, -l/--limit, --format and --json on fs.
func addInventoryFlags(fs *flag.FlagSet) *inventoryFlags {
	f := &inventoryFlags{vars: varFlag{}}
	fs.Var(f.vars, "var", "set the variable `NAME=VALUE` (repeatable)")
	fs.Var(&f.varFiles, "var-file", "read variables from `FILE`, of NAME = VALUE lines (repeatable)")
	fs.StringVar(&f.limit, "l", "", "limit to hosts matching a `selector` (host, group, key=value, *)")
	fs.StringVar(&f.limit, "limit", "", "same as -l")
	fs.StringVar(&f.format, "format", formatText, "diagnostics `format`: text, compact or json")
	fs.BoolVar(&f.json, "json", false, "machine-readable output")
	return f
}

// diagFormat is the diagnostics format the flags ask for; --json implies json.
func (f *inventoryFlags) diagFormat() string {
	if f.json {
		return formatJSON
	}
	return f.format
}

// check validates flag values that flag cannot: the format name.
func (f *inventoryFlags) check(e *env) bool {
	switch f.format {
	case formatText, formatCompact, formatJSON:
		return true
	}
	fmt.Fprintf(e.stderr, "error: unknown --format %q\nhint: use text, compact or json\n", f.format)
	return false
}

func (f *inventoryFlags) options(e *env) inventory.Options {
	return inventory.Options{Vars: f.vars, VarFiles: f.varFiles, Getenv: e.getenv}
}

// loadInventory loads dir ("" means the current directory), prints its diagnostics to stderr
// and returns ok=false when there were errors. The inventory is returned even then, so its
// Files can print later diagnostics.
func loadInventory(e *env, dir string, f *inventoryFlags) (*inventory.Inventory, bool) {
	if dir == "" {
		dir = "."
	}
	opts := f.options(e)
	if f.listSources {
		opts.List = lister(e, dir, f)
	}
	inv, diags := inventory.Load(dir, opts)
	if len(diags) > 0 {
		printDiags(e, inv.Files, diags, f.diagFormat())
	}
	return inv, !diags.HasErrors()
}

// selectLimit resolves -l/--limit to host names (every host when unset), printing problems.
func selectLimit(e *env, inv *inventory.Inventory, f *inventoryFlags) ([]string, bool) {
	sel := f.limit
	if sel == "" {
		sel = "*"
	}
	names, diags := inventory.Select(inv, sel)
	for _, d := range diags {
		d.Summary = "--limit: " + d.Summary
	}
	if len(diags) > 0 {
		printDiags(e, inv.Files, diags, f.diagFormat())
	}
	return names, !diags.HasErrors()
}

// varFlag collects -var NAME=VALUE.
type varFlag map[string]string

func (v varFlag) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",") // names only: values may be secrets
}

func (v varFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("-var wants NAME=VALUE")
	}
	v[strings.TrimSpace(name)] = val
	return nil
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
