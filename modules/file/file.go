// Package file manages a regular file on a host: content, mode and owner, written atomically.
// A sensitive file's content is never shown: plans say "(sensitive)".
package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// Spec is the desired state of one file.
type Spec struct {
	Path      string
	Content   []byte
	Mode      fs.FileMode // 0 means 0644
	Owner     string      // "" means root
	Group     string      // "" means root
	Sensitive bool
	// SHA256 is Content's hex SHA-256 when the caller has it (the inventory hashes each
	// distinct content once); New computes it otherwise.
	SHA256 string
	// Produce, when set, replaces Content for a content the caller does not hold (a big
	// fleet's, see inventory.File.Data): a plan needs only SHA256 (required then) and Size;
	// Produce gives the content when the file is written.
	Produce func() ([]byte, error)
	Size    int // the content's length; New sets it from Content when Produce is nil
}

// Resource manages one file.
type Resource struct{ spec Spec }

var (
	_ modules.Resource = (*Resource)(nil)
	_ modules.Writer   = (*Resource)(nil)
)

// New returns the resource for spec, with defaults filled in.
func New(s Spec) *Resource {
	o := modules.Ownership{Mode: s.Mode, Owner: s.Owner, Group: s.Group}.WithDefaults(0o644)
	s.Mode, s.Owner, s.Group = o.Mode, o.Owner, o.Group
	if s.Produce == nil {
		s.Size = len(s.Content)
	}
	if s.SHA256 == "" {
		s.SHA256 = Sum(s.Content)
	}
	return &Resource{spec: s}
}

// Address implements modules.Resource.
func (r *Resource) Address() string { return "file." + r.spec.Path }

// Probes implements modules.Resource: metadata and hash only, never the content.
func (r *Resource) Probes() []modules.Probe { return []modules.Probe{modules.FileProbe(r.spec.Path)} }

// Diff implements modules.Resource.
func (r *Resource) Diff(obs []modules.ProbeResult) []modules.Change {
	o := obs[0]
	want := describe(r.spec.SHA256, r.spec.Size, r.spec.Mode, r.spec.Owner, r.spec.Group, r.spec.Sensitive)
	c := modules.Change{Address: r.Address(), Op: "write", After: want, Sensitive: r.spec.Sensitive}
	switch {
	case !o.Exists:
		c.Action, c.Reason = modules.Create, "file is missing"
		return []modules.Change{c}
	case o.IsDir:
		c.Action, c.Reason = modules.Replace, "a directory stands where the file belongs"
		c.Before = "directory"
		return []modules.Change{c}
	}
	var why []string
	if o.SHA256 != r.spec.SHA256 {
		why = append(why, "content differs")
	}
	why = append(why, modules.Ownership{Mode: r.spec.Mode, Owner: r.spec.Owner, Group: r.spec.Group}.Mismatch(o)...)
	if len(why) == 0 {
		return nil
	}
	c.Action, c.Reason = modules.Update, strings.Join(why, "; ")
	c.Before = describeObserved(o, r.spec.Sensitive)
	return []modules.Change{c}
}

// Apply implements modules.Resource: one atomic write with the final mode and owner. The
// host's error already names the file and the host ("write PATH on HOST: ...").
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	w, err := r.write()
	if err != nil {
		return err
	}
	return h.WriteFile(ctx, w)
}

// FileWrite implements modules.Writer: every change of a file is this one write; it fails
// when the content cannot be produced (Spec.Produce: the inventory changed during the run).
func (r *Resource) FileWrite(modules.Change) (modules.FileWrite, error) {
	return r.write()
}

// write is the file's one write, with its content produced when the caller did not hold it.
func (r *Resource) write() (modules.FileWrite, error) {
	w := modules.FileWrite{Path: r.spec.Path, Content: r.spec.Content, SHA256: r.spec.SHA256, Mode: r.spec.Mode,
		Owner: r.spec.Owner, Group: r.spec.Group, MkdirParents: true}
	if r.spec.Produce == nil {
		return w, nil
	}
	data, err := r.spec.Produce()
	if err != nil {
		return w, fmt.Errorf("write %s: %w", r.spec.Path, err)
	}
	w.Content = data
	return w, nil
}

// Sum is the hex SHA-256 of b, as probes report it.
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Describe summarises a file for a plan: short hash (or "(sensitive)"), size, mode, owner.
func Describe(content []byte, mode fs.FileMode, owner, group string, sensitive bool) string {
	return describe(Sum(content), len(content), mode, owner, group, sensitive)
}

func describe(sum string, size int, mode fs.FileMode, owner, group string, sensitive bool) string {
	what := "sha256:" + sum[:12]
	if sensitive {
		what = "(sensitive)"
	}
	return fmt.Sprintf("%s %dB %04o %s:%s", what, size, mode, owner, group)
}

func describeObserved(o modules.ProbeResult, sensitive bool) string {
	what := "sha256:" + o.SHA256
	if len(o.SHA256) > 12 {
		what = "sha256:" + o.SHA256[:12]
	}
	if sensitive {
		what = "(sensitive)"
	}
	return fmt.Sprintf("%s %dB %04o %s:%s", what, o.Size, o.Mode, o.Owner, o.Group)
}
