// Package directory manages a directory on a host: existence, mode and owner. It never
// removes a directory or anything inside one.
package directory

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// Spec is the desired state of one directory.
type Spec struct {
	Path  string
	Mode  fs.FileMode // 0 means 0755
	Owner string      // "" means root
	Group string      // "" means root
}

// Resource manages one directory.
type Resource struct{ spec Spec }

var _ modules.Resource = (*Resource)(nil)

// New returns the resource for s with defaults filled in.
func New(s Spec) *Resource {
	o := s.ownership().WithDefaults(0o755)
	s.Mode, s.Owner, s.Group = o.Mode, o.Owner, o.Group
	return &Resource{spec: s}
}

func (s Spec) ownership() modules.Ownership {
	return modules.Ownership{Mode: s.Mode, Owner: s.Owner, Group: s.Group}
}

// Address implements modules.Resource.
func (r *Resource) Address() string { return "directory." + r.spec.Path }

// Probes implements modules.Resource.
func (r *Resource) Probes() []modules.Probe { return []modules.Probe{modules.FileProbe(r.spec.Path)} }

// Diff implements modules.Resource.
func (r *Resource) Diff(obs []modules.ProbeResult) []modules.Change {
	o := obs[0]
	c := modules.Change{Address: r.Address(), Op: "ensure", After: r.spec.ownership().String()}
	switch {
	case !o.Exists:
		c.Action, c.Reason = modules.Create, "directory is missing"
		return []modules.Change{c}
	case !o.IsDir:
		// Replacing a file by a directory would lose data: refuse in the plan, visibly.
		c.Action, c.Op, c.Reason = modules.Update, "conflict", "a file stands where the directory belongs; berth will not remove it"
		return []modules.Change{c}
	}
	why := r.spec.ownership().Mismatch(o)
	if len(why) == 0 {
		return nil
	}
	c.Action, c.Reason = modules.Update, strings.Join(why, "; ")
	c.Before = modules.Ownership{Mode: o.Mode, Owner: o.Owner, Group: o.Group}.String()
	return []modules.Change{c}
}

// Apply implements modules.Resource. `install -d` creates or fixes mode and owner in one command.
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	if c.Op == "conflict" {
		return fmt.Errorf("directory %s: %s", r.spec.Path, c.Reason)
	}
	argv := []string{"install", "-d", "-m", fmt.Sprintf("%04o", r.spec.Mode), "-o", r.spec.Owner, "-g", r.spec.Group, "--", r.spec.Path}
	return modules.Must(ctx, h, argv, "create directory "+r.spec.Path)
}
