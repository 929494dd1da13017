package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/ansible"
)

func init() {
	register(&command{
		name:    "import",
		summary: "convert another tool's inventory to a berth inventory",
		subs: []*command{{
			name:    "ansible",
			summary: "write hosts, groups and labels from an Ansible inventory into DIR/hosts.hcl",
			args:    []param{optional("DIR")},
			about: `Runs ansible-inventory -i INVENTORY --list --export, so every format Ansible reads
(INI, YAML, group_vars and host_vars, dynamic inventory plugins) imports the same way, then
validates DIR. Secrets (vault values, names with password, secret, token, key) become
sensitive variables to fill in, never values. When DIR/hosts.hcl exists and differs, the
difference is printed and nothing is written, unless --force.
Exit codes: 0 written (or already up to date), 1 error, 2 differs and nothing written.
See docs/migrating-from-ansible.md.`,
			setup: func(fs *flag.FlagSet) action {
				f := &importFlags{}
				fs.StringVar(&f.source, "i", "", "the Ansible `INVENTORY` (file, directory or plugin configuration; default: Ansible's own)")
				fs.BoolVar(&f.force, "force", false, "overwrite DIR/hosts.hcl when it differs from the import")
				fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "deadline for ansible-inventory (a dynamic inventory may call an API)")
				return func(e *env, in invocation) int { return runImportAnsible(e, dirArg(in.args), f) }
			},
		}},
	})
}

// importFlags are the flags of berth import ansible.
type importFlags struct {
	source  string
	force   bool
	timeout time.Duration
}

func runImportAnsible(e *env, dir string, f *importFlags) int {
	if dir == "" {
		dir = "."
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	out, warnings, err := ansible.List(ctx, f.source)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		if errors.Is(err, ansible.ErrNoAnsible) {
			fmt.Fprintln(e.stderr, "hint: berth runs ansible-inventory to read every inventory format the way Ansible does")
		}
		return exitError
	}
	e.stderr.Write(warnings)
	inv, err := ansible.Parse(out)
	var imp *ansible.Import
	if err == nil {
		imp, err = ansible.Convert(inv, f.source)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "error: import %s: %v\n", f.source, err)
		return exitError
	}
	path := filepath.Join(dir, ansible.FileName)
	code, written := writeImport(e, path, imp.HCL(), f.force)
	if !written {
		return code
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d hosts, %d groups, %d secrets to fill in (TODO), %d values not imported (listed at its top)\n",
		path, len(imp.Hosts), len(imp.Groups), len(imp.Secrets), len(imp.Skipped))
	return runValidate(e, dir, &inventoryFlags{vars: varFlag{}, format: formatText})
}

// writeImport writes content to path unless a different file is there: then it prints the
// diff from the file to the import and writes nothing, unless force. It reports the exit
// code and whether it wrote.
func writeImport(e *env, path string, content []byte, force bool) (int, bool) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && string(old) == string(content):
		fmt.Fprintf(e.stdout, "%s is up to date\n", path)
		return exitOK, false
	case err == nil && !force:
		fmt.Fprint(e.stdout, unifiedDiff(path, path+" (import)", string(old), string(content)))
		fmt.Fprintf(e.stderr, "error: %s exists and differs from the import (diff on stdout); nothing written\n", path)
		fmt.Fprintln(e.stderr, "hint: keep your edits in another file of the directory, or --force to overwrite")
		return exitChanges, false
	case err != nil && !errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError, false
	}
	if err := writeFileAtomic(path, content, 0o644); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError, false
	}
	return exitOK, true
}

// writeFileAtomic writes a file through a temporary file and a rename, creating its
// directory: an interrupted import leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, content []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
