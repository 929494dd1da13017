package stack

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// Apply implements modules.Resource. Each change carries what the plan observed (see
// deployState and shipment): apply acts on that, and reads nothing from the host to decide.
func (r *Resource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	switch o := c.Observed.(type) {
	case shipment:
		return r.applyShip(ctx, h, o)
	case *deployState:
		if o.beside {
			return r.deployBeside(ctx, h, o)
		}
		live := r.in(r.liveProject(o.manifest))
		return live.carry(ctx, h, jobDeploy, o, nil, func() error { return live.deploy(ctx, h, o) })
	}
	return fmt.Errorf("stack %s on %s: change %s %q carries no observation of this stack: plan again", r.spec.Name, h.Name(), c.Address, c.Op)
}

// deploy runs the deploy sequence on the serving colour (stop-first): keep the previous
// files, write the new ones, pull, up --force-recreate, wait until healthy, record the
// manifest. Any failure after the files were written restores the previous version, the
// one the plan observed. Containers of the idle colour, left by an interrupted start-first
// deploy, are removed first.
func (r *Resource) deploy(ctx context.Context, h modules.Host, d *deployState) error {
	if err := r.spec.Validate(); err != nil {
		return err
	}
	// An unreadable manifest (the plan said so) leaves nothing to roll back to: the deploy
	// proceeds as a first one and writes a good manifest when it succeeds.
	old := d.manifest
	if err := r.prepareDirs(ctx, h); err != nil {
		return err
	}
	if old != nil {
		if err := r.savePrevious(ctx, h, old); err != nil {
			return err
		}
	}
	if err := r.writeFiles(ctx, h, old); err != nil {
		return r.undoWrite(ctx, h, old, err)
	}
	if len(d.idle) > 0 {
		if err := removeProject(ctx, h, otherColour(r.spec.Name, r.projectName())); err != nil {
			return r.rollback(ctx, h, old, err)
		}
	}
	if err := r.pullAndUp(ctx, h, d.leftovers); err != nil {
		return r.rollback(ctx, h, old, err)
	}
	if err := r.waitHealthy(ctx, h); err != nil {
		return r.rollback(ctx, h, old, err)
	}
	m, err := r.writeManifest(ctx, h, old)
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
	return r.prune(ctx, h)
}

// prune removes dangling images when asked: only images no tag and no container refers to.
// It runs after the manifest is written, so the deploy itself stands even if it fails.
func (r *Resource) prune(ctx context.Context, h modules.Host) error {
	if !r.spec.PruneImages {
		return nil
	}
	if _, err := run(ctx, h, "stack "+r.spec.Name+" deployed; prune dangling images", "docker", "image", "prune", "-f"); err != nil {
		return err
	}
	return nil
}

// prepareDirs creates the stack directory (0750) and berth's state directory (0700).
func (r *Resource) prepareDirs(ctx context.Context, h modules.Host) error {
	return script(ctx, h, "create directories of stack "+r.spec.Name,
		"install -d -m 0750 "+q(r.spec.Dir),
		"install -d -m 0700 "+q(StateRoot)+" "+q(r.stateDir()))
}

// writeFiles writes every file atomically and removes those the old version had and the new
// one does not (they are kept under previous/ for a rollback).
func (r *Resource) writeFiles(ctx context.Context, h modules.Host, old *Manifest) error {
	for _, f := range r.files {
		w := modules.FileWrite{Path: path.Join(r.spec.Dir, f.rel), Content: f.data, Mode: f.mode, MkdirParents: true}
		if err := h.WriteFile(ctx, w); err != nil {
			return err // names the path and the host
		}
	}
	var stale []string
	if old != nil {
		for _, rel := range old.fileNames() {
			if !r.hasFile(rel) && checkOldRel(rel) {
				stale = append(stale, q(path.Join(r.spec.Dir, rel)))
			}
		}
	}
	if len(stale) == 0 {
		return nil
	}
	return script(ctx, h, "remove old files of stack "+r.spec.Name, "rm -f -- "+strings.Join(stale, " "))
}

// checkOldRel accepts a path read from a manifest on the host only if it stays inside the
// stack directory.
func checkOldRel(rel string) bool {
	return rel == ComposeFileName || rel == OverrideFileName || rel == EnvFileName || checkRel(rel) == nil
}

// pullAndUp pulls (unless images are shipped), removes the containers an interrupted
// recreate left (they would make up fail on their names), and recreates every container.
func (r *Resource) pullAndUp(ctx context.Context, h modules.Host, leftovers []container) error {
	if argv := r.pullArgv(); r.spec.Images == ImagesPull && argv != nil {
		if _, err := run(ctx, h, "pull images of stack "+r.spec.Name, argv...); err != nil {
			return err
		}
	}
	if len(leftovers) > 0 {
		argv := []string{"docker", "rm", "-f", "--"}
		for _, c := range leftovers {
			argv = append(argv, c.ID)
		}
		if _, err := run(ctx, h, "remove containers left by an interrupted recreate of stack "+r.spec.Name, argv...); err != nil {
			return err
		}
	}
	_, err := run(ctx, h, "start stack "+r.spec.Name, r.upArgv()...)
	return err
}

// writeManifest records the healthy deploy: image IDs and each service's config hash.
func (r *Resource) writeManifest(ctx context.Context, h modules.Host, old *Manifest) (*Manifest, error) {
	m, err := r.currentManifest(ctx, h)
	if err != nil {
		return nil, err
	}
	if old != nil {
		prev := *old
		prev.Previous = nil
		m.Previous = &prev
	}
	w := modules.FileWrite{Path: r.manifestPath(), Content: mustJSON(m), Mode: 0o600, MkdirParents: true}
	if err := h.WriteFile(ctx, w); err != nil {
		return nil, fmt.Errorf("write %s on %s: %w", w.Path, h.Name(), err)
	}
	return m, nil
}

func (r *Resource) currentManifest(ctx context.Context, h modules.Host) (*Manifest, error) {
	m := &Manifest{
		Stack: r.spec.Name, Project: r.projectName(), Dir: r.spec.Dir, Hash: contentHash(r.files), Files: map[string]string{},
		Images: map[string]string{}, Services: map[string]ServiceState{},
		Compose: r.spec.Compose.Generation, Mode: r.spec.Images, DeployedAt: r.now().UTC(), DeployedBy: r.spec.Operator,
	}
	for _, f := range r.files {
		if !f.secret {
			m.Files[f.rel] = f.sum
		}
	}
	for _, n := range sortedKeys(r.spec.Ports) {
		m.Ports = append(m.Ports, r.spec.Ports[n])
	}
	for _, ref := range r.images() {
		out, err := run(ctx, h, "inspect image "+ref, "docker", "image", "inspect", "--format", "{{.Id}}", ref)
		if err != nil {
			return nil, err
		}
		m.Images[ref] = strings.TrimSpace(string(out))
	}
	cs, err := r.listContainers(ctx, h)
	for _, c := range cs {
		m.Services[c.service()] = ServiceState{ConfigHash: c.configHash(), Image: c.Image}
	}
	return m, err
}

// listContainers inspects the project's containers now.
func (r *Resource) listContainers(ctx context.Context, h modules.Host) ([]container, error) {
	p := containersProbe(r.projectName())
	out, err := run(ctx, h, "list containers of project "+r.projectName(), p.Argv...)
	if err != nil {
		return nil, err
	}
	return parseContainers(out)
}
