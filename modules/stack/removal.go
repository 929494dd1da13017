package stack

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// RemovalResource is a stack that left the inventory but still has a manifest or containers
// on a host. Its only change stops and removes the containers and networks; volumes, and
// any data directory beside the stack's files, are kept.
type RemovalResource struct {
	name string
	dir  string
	why  string
}

var (
	_ modules.Resource    = (*RemovalResource)(nil)
	_ modules.StackMember = (*RemovalResource)(nil)
)

// Removal returns the removal of stack name from a host, whose files are in dir unless the
// manifest on the host records another directory (the manifest wins: it says where berth
// wrote them). why is the plan's reason ("replica 0 of stack web moves to h3 (...)"); empty,
// it says the stack left the inventory.
func Removal(name, dir, why string) *RemovalResource {
	if why == "" {
		why = fmt.Sprintf("stack %s is no longer in the inventory", name)
	}
	return &RemovalResource{name: name, dir: dir, why: why}
}

// Address implements modules.Resource.
func (r *RemovalResource) Address() string { return "stack." + r.name }

// Stack implements modules.StackMember.
func (r *RemovalResource) Stack() string { return r.name }

// removal is what a removal change carries from the observation: the directory and the
// files berth wrote there.
type removal struct {
	dir   string
	files []string
}

// Probes implements modules.Resource: the manifest and the project's containers.
func (r *RemovalResource) Probes() []modules.Probe {
	return []modules.Probe{
		modules.ContentProbe(path.Join(StateRoot, r.name, ManifestName)),
		containersProbe(Colours(r.name)...),
	}
}

// Diff implements modules.Resource.
func (r *RemovalResource) Diff(results []modules.ProbeResult) []modules.Change {
	if len(results) != 2 {
		return nil
	}
	cs, err := containersResult(results[1])
	if !results[0].Exists && len(cs) == 0 && err == nil {
		return nil
	}
	reason := r.why
	if err != nil {
		reason += "; " + err.Error()
	}
	rm := removal{dir: r.dir, files: []string{ComposeFileName, OverrideFileName, EnvFileName}}
	m, merr := parseManifest("host", path.Join(StateRoot, r.name, ManifestName), results[0].Data)
	switch {
	case merr != nil:
		reason += "; manifest unreadable, removing berth's usual files: " + merr.Error()
	case m != nil:
		rm.files = m.fileNames()
		if m.Dir != "" {
			rm.dir = m.Dir
		}
	}
	return []modules.Change{{
		Address: r.Address(), Action: modules.Delete, Op: OpRemove, Reason: reason,
		Before:   fmt.Sprintf("%d container(s), files in %s", len(cs), rm.dir),
		After:    "containers stopped and removed, volumes kept",
		Observed: rm,
	}}
}

// Apply implements modules.Resource: stop and remove the containers (never their volumes),
// remove the project's networks, the files berth wrote and berth's state for the stack. The
// stack directory itself goes only when nothing else (such as bind-mounted data) is in it.
func (r *RemovalResource) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	rm, ok := c.Observed.(removal)
	if !ok {
		return fmt.Errorf("stack %s on %s: change %s %q carries no observation of this removal: plan again", r.name, h.Name(), c.Address, c.Op)
	}
	for _, p := range Colours(r.name) {
		if err := removeProject(ctx, h, p); err != nil {
			return err
		}
	}
	var files []string
	for _, rel := range rm.files {
		if checkOldRel(rel) {
			files = append(files, q(path.Join(rm.dir, rel)))
		}
	}
	return script(ctx, h, "remove files of stack "+r.name,
		"rm -f -- "+strings.Join(files, " "),
		"rmdir -- "+q(rm.dir)+" 2>/dev/null || true",
		"rm -rf -- "+q(path.Join(StateRoot, r.name)))
}

// removeContainers removes the containers and networks of the colour acted on, keeping volumes.
func (r *Resource) removeContainers(ctx context.Context, h modules.Host) error {
	return removeProject(ctx, h, r.projectName())
}

// removeProject stops and removes a compose project's containers (docker rm without -v keeps
// every volume) and networks. It needs no compose file, so it works for both generations
// and for a stack whose files are already gone.
func removeProject(ctx context.Context, h modules.Host, project string) error {
	filter := q("label=com.docker.compose.project=" + project)
	return script(ctx, h, "remove containers of stack "+project,
		"ids=$(docker ps -aq --filter "+filter+")",
		`if [ -n "$ids" ]; then docker stop $ids >/dev/null; docker rm $ids >/dev/null; fi`,
		"nets=$(docker network ls -q --filter "+filter+")",
		`if [ -n "$nets" ]; then docker network rm $nets >/dev/null; fi`)
}

// DeployedProbe lists the stacks berth deployed on a host (those with a manifest), so that the
// engine can plan a Removal for each one the inventory no longer has. It is in every plan's
// first look, so it is the shell's own globbing, not find: half the host CPU, on every host
// of every run.
func DeployedProbe() modules.Probe {
	return modules.CmdProbe("sh", "-c", `for f in "$0"/*/`+ManifestName+`; do [ -f "$f" ] && echo "$f"; done; exit 0`, StateRoot)
}

// Deployed reads DeployedProbe's result: stack names, sorted. A host without berth's state
// directory has none.
func Deployed(res modules.ProbeResult) []string {
	var names []string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if line = strings.TrimSpace(line); strings.HasSuffix(line, "/"+ManifestName) {
			names = append(names, path.Base(path.Dir(line)))
		}
	}
	sortStrings(names)
	return names
}
