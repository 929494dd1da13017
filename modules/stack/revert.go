package stack

import (
	"context"
	"fmt"
	"maps"
	"path"

	"github.com/berth-dev/berth/modules"
)

// RevertResource brings back, on one host, the version of a stack deployed before the one
// running: its files (the .env too), its image IDs, its containers, healthy. It is what
// `berth rollback` plans and applies instead of the stack's own deploy; its change is a
// deploy (OpDeploy), so the engine rolls it out like one, batch by batch, drained.
type RevertResource struct {
	r *Resource
}

var (
	_ modules.Resource    = (*RevertResource)(nil)
	_ modules.StackMember = (*RevertResource)(nil)
)

// Revert returns the rollback of spec's stack on a host.
func Revert(spec Spec) *RevertResource { return &RevertResource{r: New(spec)} }

// Address implements modules.Resource.
func (v *RevertResource) Address() string { return v.r.Address() }

// Stack implements modules.StackMember.
func (v *RevertResource) Stack() string { return v.r.spec.Name }

// Probes implements modules.Resource: the running manifest and the versions kept.
func (v *RevertResource) Probes() []modules.Probe {
	return []modules.Probe{modules.ContentProbe(v.r.manifestPath()), HistoryProbe(v.r.spec.Name)}
}

// revertState is what a rollback change carries: the running version and the one to bring back.
type revertState struct {
	running *Manifest
	target  Version
}

// Previous is the version a rollback brings back: the newest kept version whose content
// differs from the running one. ok is false when there is none.
func Previous(running *Manifest, vs []Version) (Version, bool) {
	for _, ver := range vs {
		if ver.Manifest != nil && running != nil && ver.Manifest.Hash != running.Hash {
			return ver, true
		}
	}
	return Version{}, false
}

// Diff implements modules.Resource: one change when there is a version to go back to.
func (v *RevertResource) Diff(res []modules.ProbeResult) []modules.Change {
	running, err := parseManifest("", v.r.manifestPath(), res[0].Data)
	if err != nil || running == nil {
		return nil
	}
	target, ok := Previous(running, History(res[1]))
	if !ok {
		return nil
	}
	return []modules.Change{{
		Address: v.Address(), Action: modules.Replace, Op: OpDeploy,
		Reason:   "roll back to the version deployed " + target.String(),
		Before:   manifestSummary(running),
		After:    manifestSummary(target.Manifest),
		Observed: &revertState{running: running, target: target},
	}}
}

// Apply implements modules.Resource: keep the running files, put the target's back, start it
// and wait; a target that does not turn healthy is undone like a failed deploy.
func (v *RevertResource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	st, ok := c.Observed.(*revertState)
	if !ok {
		return fmt.Errorf("rollback of stack %s on %s carries no observation: plan again", v.r.spec.Name, h.Name())
	}
	cur, tm := st.running, st.target.Manifest
	r := v.r.in(cur.project())
	if err := r.prepareDirs(ctx, h); err != nil {
		return err
	}
	if err := r.savePrevious(ctx, h, cur); err != nil {
		return err
	}
	if err := r.copyVersion(ctx, h, path.Join(r.versionsDir(), st.target.Name), tm, cur.fileNames()); err != nil {
		return r.undoWrite(ctx, h, cur, err)
	}
	// The version kept its ports in its override; the replica serves on the ones the
	// placement has now (a start-first deploy may have switched them since).
	ow := modules.FileWrite{Path: path.Join(r.spec.Dir, OverrideFileName), Content: overrideFile(r.spec), Mode: 0o644}
	if err := h.WriteFile(ctx, ow); err != nil {
		return r.undoWrite(ctx, h, cur, err)
	}
	if err := r.startVersion(ctx, h, tm); err != nil {
		return r.rollback(ctx, h, cur, err)
	}
	m := *tm
	m.DeployedAt, m.DeployedBy = r.now().UTC(), r.spec.Operator
	m.Project, m.Ports = cur.project(), cur.Ports
	m.Files = maps.Clone(tm.Files)
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	m.Files[OverrideFileName] = sha256Hex(overrideFile(r.spec))
	prev := *cur
	prev.Previous = nil
	m.Previous = &prev
	w := modules.FileWrite{Path: r.manifestPath(), Content: mustJSON(&m), Mode: 0o600, MkdirParents: true}
	if err := h.WriteFile(ctx, w); err != nil {
		return fmt.Errorf("write %s on %s: %w", w.Path, h.Name(), err)
	}
	return r.recordVersion(ctx, h, &m, tm.fileNames())
}

// Return implements the same undo as Resource.Return for a rollback that succeeded: the
// version it replaced (the one running before, its files kept under previous/) comes back.
func (v *RevertResource) Return(ctx context.Context, h modules.Host, c modules.Change) error {
	st, ok := c.Observed.(*revertState)
	if !ok {
		return fmt.Errorf("rollback of stack %s on %s carries no observation: plan again", v.r.spec.Name, h.Name())
	}
	return v.r.in(st.running.project()).returnTo(ctx, h, st.running, st.target.Manifest.fileNames())
}
