package stack

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// logLines is how many log lines of the failing container an error shows.
const logLines = "20"

// savePrevious copies the files of the deployed version to StateRoot/NAME/previous, replacing
// the copy of the version before it. Only the files berth wrote are copied: data directories
// beside them are never touched.
func (r *Resource) savePrevious(ctx context.Context, h modules.Host, old *Manifest) error {
	tmp := r.previousDir() + ".new"
	lines := []string{"rm -rf -- " + q(tmp), "install -d -m 0700 " + q(tmp)}
	for _, rel := range old.fileNames() {
		if !checkOldRel(rel) {
			continue
		}
		src, dst := path.Join(r.spec.Dir, rel), path.Join(tmp, rel)
		lines = append(lines, fmt.Sprintf("if [ -f %s ]; then mkdir -p %s && cp -p -- %s %s; fi",
			q(src), q(path.Dir(dst)), q(src), q(dst)))
	}
	lines = append(lines, "rm -rf -- "+q(r.previousDir()), "mv -- "+q(tmp)+" "+q(r.previousDir()))
	return script(ctx, h, "keep previous files of stack "+r.spec.Name, lines...)
}

// restorePrevious puts the previous version's files back, each atomically (copy beside,
// then rename), and removes the files only the failed version had.
func (r *Resource) restorePrevious(ctx context.Context, h modules.Host, old *Manifest) error {
	var names []string
	for _, f := range r.files {
		names = append(names, f.rel)
	}
	return r.copyVersion(ctx, h, r.previousDir(), old, names)
}

// copyVersion puts the files of version old back from dir, and removes those of names
// (the files of the version being replaced) that old did not have.
func (r *Resource) copyVersion(ctx context.Context, h modules.Host, dir string, old *Manifest, names []string) error {
	var lines []string
	for _, rel := range old.fileNames() {
		if !checkOldRel(rel) {
			continue
		}
		src, dst := path.Join(dir, rel), path.Join(r.spec.Dir, rel)
		tmp := path.Join(path.Dir(dst), ".berth-restore."+path.Base(dst))
		// A file still equal to the previous one is left alone: on a full disk the copy
		// would fail for nothing.
		lines = append(lines, fmt.Sprintf("if [ -f %s ] && ! cmp -s -- %s %s; then mkdir -p %s && cp -p -- %s %s && mv -f -- %s %s; fi",
			q(src), q(src), q(dst), q(path.Dir(dst)), q(src), q(tmp), q(tmp), q(dst)))
	}
	for _, rel := range names {
		if _, had := old.Files[rel]; !had && rel != EnvFileName && checkOldRel(rel) {
			lines = append(lines, "rm -f -- "+q(path.Join(r.spec.Dir, rel)))
		}
	}
	return script(ctx, h, "restore previous files of stack "+r.spec.Name, lines...)
}

// undoTimeout bounds what putting the previous version back may take beyond its health wait.
const undoTimeout = 2 * time.Minute

// undoContext is the context a rollback runs on: never the deploy's own, which an interrupt
// (a second Ctrl-C) or the run's deadline may have cancelled, since a rollback that stops
// half way leaves the stack down. It has its own bound instead.
func (r *Resource) undoContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.spec.HealthTimeout+undoTimeout)
}

// undoWrite handles a deploy whose files could not all be written (a full disk, a cut
// connection): compose has not run, so the containers still run the previous version
// untouched; only the files are put back, and nothing is recreated.
func (r *Resource) undoWrite(ctx context.Context, h modules.Host, old *Manifest, cause error) error {
	ctx, cancel := r.undoContext(ctx)
	defer cancel()
	msg := fmt.Sprintf("deploy stack %s on %s: %v", r.spec.Name, h.Name(), redact(cause.Error(), r.spec.Env))
	if old == nil {
		return errors.New(msg + "\nfirst deploy: nothing was started")
	}
	if err := r.restorePrevious(ctx, h, old); err != nil {
		return fmt.Errorf("%s\nthe running containers were not touched, but restoring the previous files failed: %w", msg, err)
	}
	return errors.New(msg + "\nthe running containers were not touched; the previous files are back")
}

// rollback handles a deploy that failed after the files were written: it shows why (with
// the failing container's last log lines), then brings the previous version back: its files,
// its images under their tags, its containers, healthy. A first deploy has no previous
// version: its containers are removed, volumes kept.
func (r *Resource) rollback(ctx context.Context, h modules.Host, old *Manifest, cause error) error {
	ctx, cancel := r.undoContext(ctx)
	defer cancel()
	msg := fmt.Sprintf("deploy stack %s on %s: %v", r.spec.Name, h.Name(), redact(cause.Error(), r.spec.Env))
	if logs := r.failureLogs(ctx, h, cause); logs != "" {
		msg += "\n" + logs
	}
	if old == nil {
		if err := r.removeContainers(ctx, h); err != nil {
			return fmt.Errorf("%s\nfirst deploy, nothing to roll back to; removing its containers failed: %w", msg, err)
		}
		return errors.New(msg + "\nfirst deploy, nothing to roll back to: its containers were removed, volumes kept")
	}
	if err := r.bringBack(ctx, h, old); err != nil {
		return fmt.Errorf("%s\nROLLBACK FAILED: %w", msg, err)
	}
	return fmt.Errorf("%s\nrolled back to the version deployed %s", msg, old.DeployedAt.UTC().Format("2006-01-02 15:04:05Z"))
}

// bringBack restores the previous files, points each image tag back at the image the
// previous version ran (a pull may have moved it), recreates and waits.
func (r *Resource) bringBack(ctx context.Context, h modules.Host, old *Manifest) error {
	if err := r.restorePrevious(ctx, h, old); err != nil {
		return err
	}
	return r.startVersion(ctx, h, old)
}

// startVersion points each image tag at the image version old ran, recreates and waits.
func (r *Resource) startVersion(ctx context.Context, h modules.Host, old *Manifest) error {
	for _, ref := range sortedKeys(old.Images) {
		if id := old.Images[ref]; id != "" {
			if _, err := run(ctx, h, "re-tag previous image "+ref, "docker", "tag", id, ref); err != nil {
				return err
			}
		}
	}
	if _, err := run(ctx, h, "start previous version of stack "+r.spec.Name, r.upArgv()...); err != nil {
		return err
	}
	return r.waitHealthy(ctx, h)
}

// failureLogs returns the last log lines of the container that failed, and its last
// healthcheck output, with env values redacted.
func (r *Resource) failureLogs(ctx context.Context, h modules.Host, cause error) string {
	var he *healthError
	if !errors.As(cause, &he) || he.id == "" {
		return ""
	}
	var b strings.Builder
	res, err := h.Run(ctx, modules.Command{Argv: []string{"docker", "logs", "--tail", logLines, he.id}})
	if err == nil {
		out := strings.TrimRight(string(res.Stdout)+string(res.Stderr), "\n")
		fmt.Fprintf(&b, "last %s log lines of %s:\n%s", logLines, he.container, indent(out))
	}
	if hc := r.lastHealthOutput(ctx, h, he.id); hc != "" {
		fmt.Fprintf(&b, "\nlast healthcheck output of %s:\n%s", he.container, indent(hc))
	}
	return redact(b.String(), r.spec.Env)
}

func (r *Resource) lastHealthOutput(ctx context.Context, h modules.Host, id string) string {
	out, err := run(ctx, h, "inspect container "+id, "docker", "inspect", id)
	if err != nil {
		return ""
	}
	cs, err := parseContainers(out)
	if err != nil || len(cs) != 1 || cs[0].State.Health == nil || len(cs[0].State.Health.Log) == 0 {
		return ""
	}
	log := cs[0].State.Health.Log
	return strings.TrimSpace(log[len(log)-1].Output)
}

func indent(s string) string {
	if s == "" {
		return "  (no output)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// Return brings a replica whose deploy (change c) succeeded back to the version that deploy
// replaced. The engine calls it on the replicas of a rolling batch that turned healthy when
// another replica of the same batch did not, so that the batch goes back as a whole. The
// change carries the replaced version's manifest, and the deploy kept its files under
// previous/: nothing is read from the host to decide. It runs on a context of its own, like
// a rollback: an interrupted apply must not leave the replica half way.
func (r *Resource) Return(ctx context.Context, h modules.Host, c modules.Change) error {
	d, ok := c.Observed.(*deployState)
	if !ok || d.manifest == nil || d.beside {
		return fmt.Errorf("stack %s on %s: change %s has no version to return to", r.spec.Name, h.Name(), c.Address)
	}
	var names []string
	for _, f := range r.files {
		names = append(names, f.rel)
	}
	back := r.in(d.manifest.project())
	return back.carry(ctx, h, jobReturn, d, names, func() error { return back.returnTo(ctx, h, d.manifest, names) })
}

// returnTo puts version old back from previous/ (names are the files of the version it
// replaces), starts it, waits until it is healthy and records it as the running manifest
// and a version of the history, as a rollback on demand does.
func (r *Resource) returnTo(ctx context.Context, h modules.Host, old *Manifest, names []string) error {
	ctx, cancel := r.undoContext(ctx)
	defer cancel()
	fail := func(err error) error {
		return fmt.Errorf("return stack %s on %s to the version deployed %s: %w", r.spec.Name, h.Name(), old.DeployedAt.UTC().Format("2006-01-02 15:04:05Z"), err)
	}
	if err := r.copyVersion(ctx, h, r.previousDir(), old, names); err != nil {
		return fail(err)
	}
	if err := r.startVersion(ctx, h, old); err != nil {
		return fail(err)
	}
	m := *old
	m.DeployedAt, m.DeployedBy, m.Previous = r.now().UTC(), r.spec.Operator, nil
	w := modules.FileWrite{Path: r.manifestPath(), Content: mustJSON(&m), Mode: 0o600, MkdirParents: true}
	if err := h.WriteFile(ctx, w); err != nil {
		return fail(fmt.Errorf("write %s: %w", w.Path, err))
	}
	return r.recordVersion(ctx, h, &m, old.fileNames())
}
