// Package apt manages Debian packages with apt-get. Installs are non-interactive, wait a
// bounded time for the dpkg lock (apt itself then names the process holding it), retry
// downloads, and never run `dpkg --configure -a` on their own.
package apt

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// Spec is a set of packages that must be present, or absent.
type Spec struct {
	// Name distinguishes several package resources on one host ("docker", "syslog"...).
	Name   string
	Names  []string
	Absent bool
	// DpkgLockTimeoutSeconds bounds the wait for the dpkg lock; 0 means 120.
	DpkgLockTimeoutSeconds int
	// Recommends installs recommended packages too (apt's default); berth's default is off:
	// smaller, faster (dpkg is the cost on small VMs) and predictable.
	Recommends bool
}

// Resource manages one set of packages.
type Resource struct{ spec Spec }

var _ modules.Resource = (*Resource)(nil)

// New returns the resource for s; package names are sorted for deterministic plans.
func New(s Spec) *Resource {
	s.Names = append([]string(nil), s.Names...)
	sort.Strings(s.Names)
	if s.DpkgLockTimeoutSeconds == 0 {
		s.DpkgLockTimeoutSeconds = 120
	}
	return &Resource{spec: s}
}

// Address implements modules.Resource.
func (r *Resource) Address() string { return "package." + r.spec.Name }

// Probes implements modules.Resource: one dpkg-query for all names.
func (r *Resource) Probes() []modules.Probe {
	argv := []string{"dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\t${Version}\n", "--"}
	for _, n := range r.spec.Names {
		name, _ := splitPin(n)
		argv = append(argv, name)
	}
	return []modules.Probe{{Argv: argv}}
}

// splitPin splits "name=version" (apt's syntax for a pinned version).
func splitPin(s string) (name, version string) {
	name, version, _ = strings.Cut(s, "=")
	return name, version
}

// Installed parses dpkg-query output into the set of fully installed packages and versions.
// dpkg-query exits 1 when some names are unknown; the lines it printed still count.
func Installed(out []byte) map[string]string {
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 3 && strings.HasPrefix(f[1], "ii") {
			got[strings.SplitN(f[0], ":", 2)[0]] = f[2]
		}
	}
	return got
}

// Diff implements modules.Resource.
func (r *Resource) Diff(obs []modules.ProbeResult) []modules.Change {
	got := Installed(obs[0].Stdout)
	var todo []string
	for _, n := range r.spec.Names {
		name, pin := splitPin(n)
		v, ok := got[name]
		if r.spec.Absent {
			if ok {
				todo = append(todo, name)
			}
		} else if !ok || (pin != "" && v != pin) {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	c := modules.Change{Address: r.Address(), After: strings.Join(todo, " ")}
	if r.spec.Absent {
		c.Action, c.Op, c.Reason = modules.Delete, "remove", "installed: "+strings.Join(todo, " ")
	} else {
		c.Action, c.Op, c.Reason = modules.Create, "install", "not installed (or not at the pinned version): "+strings.Join(todo, " ")
	}
	return []modules.Change{c}
}

// Apply implements modules.Resource.
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	names := strings.Fields(c.After)
	if len(names) == 0 {
		return nil
	}
	if c.Op == "remove" {
		return modules.Must(ctx, h, r.aptGet(append([]string{"remove", "-y", "--"}, names...)), "apt-get remove "+c.After)
	}
	// Refresh the lists first: a stale or empty list is the usual cause of "unable to locate".
	if err := modules.Must(ctx, h, r.aptGet([]string{"update", "-q"}), "apt-get update"); err != nil {
		return err
	}
	args := []string{"install", "-y", "-q"}
	if !r.spec.Recommends {
		args = append(args, "--no-install-recommends")
	}
	err := modules.Must(ctx, h, r.aptGet(append(append(args, "--"), names...)), "apt-get install "+c.After)
	if err != nil && strings.Contains(err.Error(), "lock") {
		if holder := lockHolder(ctx, h); holder != "" {
			err = fmt.Errorf("%w; the dpkg lock is held by %s (waited %ds: apt_lock_timeout)", err, holder, r.spec.DpkgLockTimeoutSeconds)
		}
	}
	return err
}

// lockHolderScript names the processes holding dpkg's locks, from /proc/locks (apt locks with
// fcntl; whoever holds it, apt or not, shows there). Read-only; coreutils and awk only.
const lockHolderScript = `for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock; do
  [ -e "$f" ] || continue
  ino=$(stat -c %i "$f")
  for pid in $(awk -v ino="$ino" '{ n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks | sort -u); do
    [ -r "/proc/$pid/cmdline" ] || continue
    printf 'process %s (%s)\n' "$pid" "$(tr '\0' ' ' < "/proc/$pid/cmdline" | cut -c1-80 | sed 's/ *$//')"
  done
done | sort -u`

// lockHolder returns who holds the dpkg lock, "" when nobody (any more) or unknown.
func lockHolder(ctx context.Context, h modules.Host) string {
	res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-c", lockHolderScript}})
	if err != nil || res.ExitCode != 0 {
		return ""
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(res.Stdout)), "\n", ", ")), " ")
}

// aptGet builds an apt-get command line: non-interactive, keeping existing config files,
// waiting a bounded time for the dpkg lock, retrying downloads.
func (r *Resource) aptGet(args []string) []string {
	argv := []string{
		"env", "DEBIAN_FRONTEND=noninteractive", "apt-get",
		"-o", fmt.Sprintf("DPkg::Lock::Timeout=%d", r.spec.DpkgLockTimeoutSeconds),
		"-o", "Acquire::Retries=3",
		"-o", "Dpkg::Options::=--force-confdef",
		"-o", "Dpkg::Options::=--force-confold",
	}
	return append(argv, args...)
}

// SetDpkgLockTimeout sets the dpkg lock wait for every install and removal of r (whole seconds,
// at least one); the engine applies the inventory's apt_lock_timeout to every package
// resource this way, whichever module made it.
func (r *Resource) SetDpkgLockTimeout(d time.Duration) {
	if s := int(d.Round(time.Second) / time.Second); s > 0 {
		r.spec.DpkgLockTimeoutSeconds = s
	}
}
