package stack

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/modules"
)

// A stack runs as one of two compose projects on a host, its colours: NAME and NAME-b. A
// start-first (blue-green) deploy starts the new version as the colour that is not running,
// on the replica's standby ports, and retires the other once the balancers switched; the
// next deploy alternates back. The manifest records the colour serving (Manifest.Project);
// both colours share the stack's directory and berth's state directory, so the files on
// the host are always the serving version's. A stop-first deploy recreates the serving
// colour in place.

// idleSuffix names a stack's second colour.
const idleSuffix = "-b"

// Colours are the two compose projects a stack may run as, the first one first.
func Colours(name string) []string { return []string{name, name + idleSuffix} }

// otherColour is the colour that is not project.
func otherColour(name, project string) string {
	if project == name+idleSuffix {
		return name
	}
	return name + idleSuffix
}

// project is the colour that serves, as the manifest records it.
func (m *Manifest) project() string {
	if m.Project != "" {
		return m.Project
	}
	return m.Stack
}

// projectName is the compose project the resource acts on (see in).
func (r *Resource) projectName() string {
	if r.project != "" {
		return r.project
	}
	return r.spec.Name
}

// in returns the resource acting on compose project p, one of the stack's colours.
func (r *Resource) in(p string) *Resource {
	c := *r
	c.project = p
	return &c
}

// liveProject is the colour the observed manifest says serves: the stack's name without one.
func (r *Resource) liveProject(m *Manifest) string {
	if m == nil {
		return r.spec.Name
	}
	return m.project()
}

// deployBeside starts the new version beside the running one: files written (the old
// version's kept for a rollback), the idle colour's leftovers removed, the new version
// started as that colour on the ports of this spec (the replica's standby ports) and waited
// for until healthy. The old colour keeps serving throughout. On failure the new colour is
// removed and the old files are put back: nothing serving was touched. Success leaves both
// colours running: the engine switches the balancers, then calls Commit (or Abandon).
func (r *Resource) deployBeside(ctx context.Context, h modules.Host, d *deployState) error {
	if err := r.spec.Validate(); err != nil {
		return err
	}
	old := d.manifest
	next := r.in(otherColour(r.spec.Name, old.project()))
	if err := r.prepareDirs(ctx, h); err != nil {
		return err
	}
	if err := r.savePrevious(ctx, h, old); err != nil {
		return err
	}
	if err := r.writeFiles(ctx, h, old); err != nil {
		return r.undoWrite(ctx, h, old, err)
	}
	if err := removeProject(ctx, h, next.projectName()); err != nil {
		return r.abandon(ctx, h, old, err)
	}
	if err := next.pullAndUp(ctx, h, nil); err != nil {
		return r.abandon(ctx, h, old, err)
	}
	if err := next.waitHealthy(ctx, h); err != nil {
		return r.abandon(ctx, h, old, err)
	}
	return nil
}

// abandon removes the colour a start-first deploy started and puts the running version's
// files back; the running colour was never touched.
func (r *Resource) abandon(ctx context.Context, h modules.Host, old *Manifest, cause error) error {
	ctx, cancel := r.undoContext(ctx)
	defer cancel()
	next := r.in(otherColour(r.spec.Name, old.project()))
	msg := fmt.Sprintf("deploy stack %s on %s beside the running version: %v", r.spec.Name, h.Name(), redact(cause.Error(), r.spec.Env))
	if logs := next.failureLogs(ctx, h, cause); logs != "" {
		msg += "\n" + logs
	}
	if err := removeProject(ctx, h, next.projectName()); err != nil {
		return fmt.Errorf("%s\nremoving project %s failed: %w", msg, next.projectName(), err)
	}
	if err := r.restorePrevious(ctx, h, old); err != nil {
		return fmt.Errorf("%s\nproject %s removed; the running version %s was not touched, but restoring its files failed: %w", msg, next.projectName(), old.project(), err)
	}
	return fmt.Errorf("%s\nproject %s removed; the running version (project %s) was not touched and keeps serving", msg, next.projectName(), old.project())
}

// besideState is what Commit and Abandon read from a start-first change.
func besideState(c modules.Change) (*deployState, error) {
	d, ok := c.Observed.(*deployState)
	if !ok || !d.beside || d.manifest == nil {
		return nil, errors.New("not a start-first deploy: plan again")
	}
	return d, nil
}

// Commit finishes a start-first deploy once the balancers send to the new version: it
// records the new colour in the manifest and the version history, then stops and removes
// the old colour's containers (volumes kept).
func (r *Resource) Commit(ctx context.Context, h modules.Host, c modules.Change) error {
	d, err := besideState(c)
	if err != nil {
		return fmt.Errorf("stack %s on %s: %w", r.spec.Name, h.Name(), err)
	}
	old := d.manifest
	next := r.in(otherColour(r.spec.Name, old.project()))
	m, err := next.writeManifest(ctx, h, old)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range r.files {
		names = append(names, f.rel)
	}
	if err := r.recordVersion(ctx, h, m, names); err != nil {
		return err
	}
	if err := removeProject(ctx, h, old.project()); err != nil {
		return fmt.Errorf("stop the old version (project %s) of stack %s on %s: %w", old.project(), r.spec.Name, h.Name(), err)
	}
	return r.prune(ctx, h)
}

// Abandon undoes a start-first deploy whose switch failed: the new colour is removed and
// the running version's files are back. The balancers must already send to the old one.
func (r *Resource) Abandon(ctx context.Context, h modules.Host, c modules.Change, cause error) error {
	d, err := besideState(c)
	if err != nil {
		return fmt.Errorf("stack %s on %s: %w", r.spec.Name, h.Name(), err)
	}
	return r.abandon(ctx, h, d.manifest, cause)
}
