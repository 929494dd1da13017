package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// Ops of the stack's changes.
const (
	OpDeploy = "deploy" // write files, pull, up --force-recreate, wait, manifest
	OpShip   = "ship"   // docker save here | docker load there, one image
	OpRemove = "remove" // stop and remove containers, keep volumes
)

// Diff implements modules.Resource. It returns one "ship" change per image the host lacks
// (images = "ship"), then at most one deploy change whose reason lists every difference.
func (r *Resource) Diff(results []modules.ProbeResult) []modules.Change {
	o := r.observe(results)
	changes := r.shipChanges(o)
	if c, ok := r.deployChange(o); ok {
		changes = append(changes, c)
	}
	return changes
}

// deployState is what a deploy change carries from the observation: the manifest in force (the
// version to keep and roll back to; nil for a first deploy or an unreadable one, which the
// plan says) and the containers an interrupted recreate left behind, removed before up.
type deployState struct {
	manifest  *Manifest
	leftovers []container
	// idle are the other colour's containers, removed before a stop-first deploy.
	idle []container
	// beside makes the deploy start-first: the new version starts as the other colour
	// (see colour.go) and the engine switches the balancers, then commits.
	beside bool
}

func (r *Resource) deployChange(o observation) (modules.Change, bool) {
	c := modules.Change{Address: r.Address(), Op: OpDeploy, After: r.summary(),
		Observed: &deployState{manifest: o.manifest, leftovers: o.leftovers, idle: o.idle}}
	if o.manifest == nil {
		c.Action = modules.Create
		rs := append([]string{"not deployed on this host"}, o.problems...)
		c.Reason = strings.Join(append(rs, r.adoptReasons(o)...), "; ")
		return c, true
	}
	files := r.fileReasons(o)
	again := append(append([]string(nil), o.problems...), r.recreateReasons(o, len(files) > 0)...)
	for _, l := range o.leftovers {
		again = append(again, fmt.Sprintf("container %s was left by an interrupted recreate", l.name()))
	}
	for _, l := range o.idle {
		again = append(again, fmt.Sprintf("container %s of the idle colour (project %s) was left by an interrupted start-first deploy", l.name(), l.project()))
	}
	switch {
	case len(files) > 0:
		c.Action = modules.Update
	case len(again) > 0:
		c.Action = modules.Replace
	default:
		return c, false
	}
	c.Reason = strings.Join(append(files, again...), "; ")
	c.Before = manifestSummary(o.manifest)
	if r.spec.StartFirst {
		d := c.Observed.(*deployState)
		d.beside = true
		c.After += fmt.Sprintf("; start-first: as project %s beside project %s", otherColour(r.spec.Name, o.manifest.project()), o.manifest.project())
	}
	return c, true
}

// fileReasons lists the stack files that differ on the host.
func (r *Resource) fileReasons(o observation) []string {
	var rs []string
	for _, f := range r.files {
		got := o.files[f.rel]
		note := ""
		if f.secret {
			note = " (sensitive)"
		}
		switch {
		case !got.Exists:
			rs = append(rs, f.rel+" missing"+note)
		case got.SHA256 != f.sum:
			rs = append(rs, f.rel+" changed"+note)
		case got.Mode.Perm() != f.mode:
			rs = append(rs, fmt.Sprintf("%s mode %04o, want %04o", f.rel, got.Mode.Perm(), f.mode))
		}
	}
	if o.manifest != nil {
		for _, rel := range sortedKeys(o.manifest.Files) {
			if !r.hasFile(rel) {
				rs = append(rs, rel+" no longer in the stack")
			}
		}
	}
	return rs
}

func (r *Resource) hasFile(rel string) bool {
	return slices.ContainsFunc(r.files, func(f file) bool { return f.rel == rel })
}

// recreateReasons lists why the running stack must be recreated although its files match.
func (r *Resource) recreateReasons(o observation, filesDiffer bool) []string {
	var rs []string
	if !filesDiffer && o.manifest.Hash != contentHash(r.files) {
		rs = append(rs, "the files on the host are not the deployed version")
	}
	rs = append(rs, r.imageReasons(o)...)
	rs = append(rs, r.containerReasons(o)...)
	if r.spec.ForceRecreate {
		rs = append(rs, "recreate forced")
	}
	return rs
}

// adoptReasons describes containers found without a manifest (deployed by hand or by
// another tool): they are recreated by the first deploy.
func (r *Resource) adoptReasons(o observation) []string {
	if len(o.containers) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d existing container(s) of project %s will be recreated", len(o.containers), r.spec.Name)}
}

// imageReasons compares each image on the host with the deployed one and with the newest
// the registry (pull) or the local daemon (ship) offers.
func (r *Resource) imageReasons(o observation) []string {
	var rs []string
	for _, ref := range r.images() {
		host, deployed := o.hostImages[ref], o.manifest.Images[ref]
		switch {
		case r.shipped(ref):
			if local := r.spec.LocalImages[ref].ID; local != "" && local != deployed {
				rs = append(rs, fmt.Sprintf("image %s: new image %s to ship (deployed %s)", ref, short(local), short(deployed)))
			}
		case host == "":
			rs = append(rs, "image "+ref+" missing on host")
		case deployed != "" && host != deployed:
			rs = append(rs, fmt.Sprintf("image %s on host is %s, deployed %s", ref, short(host), short(deployed)))
		case o.registry[ref] != nil && !slices.Contains(o.registry[ref], host):
			rs = append(rs, fmt.Sprintf("registry has a newer %s (%s, host has %s)", ref, short(o.registry[ref][0]), short(host)))
		}
	}
	return rs
}

// containerReasons reports containers missing, stopped, unhealthy, running another
// configuration or image than the manifest records, and orphans.
func (r *Resource) containerReasons(o observation) []string {
	names, want := r.services()
	bySvc := map[string][]container{}
	var rs []string
	for _, c := range o.containers {
		if _, ok := want[c.service()]; !ok {
			rs = append(rs, fmt.Sprintf("orphan container %s (service %q is not in the stack)", c.name(), c.service()))
			continue
		}
		bySvc[c.service()] = append(bySvc[c.service()], c)
	}
	for _, svc := range names {
		cs := bySvc[svc]
		if n := len(cs); n < want[svc] {
			rs = append(rs, fmt.Sprintf("service %s: %d of %d container(s) missing", svc, want[svc]-n, want[svc]))
		}
		for _, c := range cs {
			rs = append(rs, containerDrift(c, o.manifest.Services[svc])...)
		}
	}
	return rs
}

func containerDrift(c container, want ServiceState) []string {
	var rs []string
	switch {
	case c.State.Status != "running":
		rs = append(rs, fmt.Sprintf("container %s is %s (exit %d)", c.name(), c.State.Status, c.State.ExitCode))
	case c.health() == "unhealthy":
		rs = append(rs, fmt.Sprintf("container %s is unhealthy", c.name()))
	}
	if want.ConfigHash != "" && c.configHash() != want.ConfigHash {
		rs = append(rs, fmt.Sprintf("container %s runs another configuration than deployed", c.name()))
	}
	if want.Image != "" && c.Image != want.Image {
		rs = append(rs, fmt.Sprintf("container %s runs image %s, deployed %s", c.name(), short(c.Image), short(want.Image)))
	}
	return rs
}

// summary describes the desired stack for a plan; no value of the env appears: what is
// shipped (count and size, the files by name), the images (those built here marked), the ports.
func (r *Resource) summary() string {
	names := make([]string, 0, len(r.files))
	var size int64
	for _, f := range r.files {
		n := f.rel
		if f.secret {
			n += " (sensitive)"
		}
		names = append(names, n)
		size += int64(len(f.data))
	}
	const listed = 8
	if len(names) > listed {
		names = append(names[:listed], fmt.Sprintf("and %d more", len(names)-listed))
	}
	s := fmt.Sprintf("%s in %s: %d files, %s shipped (%s)", r.spec.Images, r.spec.Dir, len(r.files), humanSize(size), strings.Join(names, ", "))
	if imgs := r.images(); len(imgs) > 0 {
		for i, ref := range imgs {
			if r.built(ref) {
				imgs[i] = ref + " (built here, shipped)"
			}
		}
		s += "; images " + strings.Join(imgs, ", ")
	}
	if ps := portSummary(r.spec.Ports); ps != "" {
		s += "; ports " + ps
	}
	return s
}

func portSummary(ports map[string]PublishedPort) string {
	var ps []string
	for _, n := range sortedKeys(ports) {
		p := ports[n]
		host := fmt.Sprint(p.Host)
		if p.Bind != "" {
			host = bindHost(p.Bind) + ":" + host
		}
		proto := ""
		if p.Protocol == "udp" {
			proto = "/udp"
		}
		ps = append(ps, fmt.Sprintf("%s %s->%s:%d%s", n, host, p.Service, p.Container, proto))
	}
	return strings.Join(ps, ", ")
}

func manifestSummary(m *Manifest) string {
	var imgs []string
	for _, ref := range sortedKeys(m.Images) {
		imgs = append(imgs, ref+" "+short(m.Images[ref]))
	}
	project := ""
	if m.Project != "" && m.Project != m.Stack {
		project = "project " + m.Project + ", "
	}
	return fmt.Sprintf("%sdeployed %s; images %s", project, m.DeployedAt.UTC().Format("2006-01-02 15:04:05Z"), strings.Join(imgs, ", "))
}

// short abbreviates an image ID for humans: sha256:0123456789ab.
func short(id string) string {
	if id == "" {
		return "(none)"
	}
	algo, hex, ok := strings.Cut(id, ":")
	if !ok {
		return id
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return algo + ":" + hex
}
