package stack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// registryTimeout bounds the read-only registry check of one image, in seconds.
const registryTimeout = "20"

// Probes implements modules.Resource: the manifest, each file's hash, the project's
// containers, the host's image IDs and, for pulled images, the registry's current manifest.
// None of them changes the host: the registry check is `docker manifest inspect`, which
// reads the registry and writes nothing.
func (r *Resource) Probes() []modules.Probe {
	ps := []modules.Probe{modules.ContentProbe(r.manifestPath())}
	for _, f := range r.files {
		ps = append(ps, modules.FileProbe(path.Join(r.spec.Dir, f.rel)))
	}
	ps = append(ps, containersProbe(Colours(r.spec.Name)...))
	for _, ref := range r.images() {
		ps = append(ps, imageProbe(ref))
	}
	for _, ref := range r.pulled() {
		ps = append(ps, modules.CmdProbe("timeout", registryTimeout, "docker", "manifest", "inspect", "-v", ref))
	}
	if p, ok := r.configProbe(); ok {
		ps = append(ps, p)
	}
	return ps
}

// containersProbe inspects every container of the compose projects, running or not. The
// shell keeps docker's exit code (127 when docker is missing) and prints nothing when the
// projects have no container.
func containersProbe(projects ...string) modules.Probe {
	var ps []string
	for _, p := range projects {
		ps = append(ps, "docker ps -aq --filter "+modules.Quote("label=com.docker.compose.project="+p))
	}
	script := "ids=$(" + strings.Join(ps, " && ") + ") || exit $?; " +
		`[ -z "$ids" ] || exec docker inspect $ids`
	return modules.CmdProbe("sh", "-c", script)
}

func imageProbe(ref string) modules.Probe {
	return modules.CmdProbe("docker", "image", "inspect", "--format", "{{.Id}}", ref)
}

// container is the part of `docker inspect` berth reads.
type container struct {
	ID    string `json:"Id"`
	Name  string `json:"Name"`
	Image string `json:"Image"` // image ID
	// RestartCount grows while a container crash-loops under a restart policy.
	RestartCount int `json:"RestartCount"`
	State        struct {
		Status   string `json:"Status"`
		ExitCode int    `json:"ExitCode"`
		Health   *struct {
			Status string `json:"Status"`
			Log    []struct {
				ExitCode int    `json:"ExitCode"`
				Output   string `json:"Output"`
			} `json:"Log"`
		} `json:"Health"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

func (c container) name() string    { return strings.TrimPrefix(c.Name, "/") }
func (c container) service() string { return c.Config.Labels["com.docker.compose.service"] }
func (c container) oneoff() bool {
	return strings.EqualFold(c.Config.Labels["com.docker.compose.oneoff"], "true")
}
func (c container) configHash() string { return c.Config.Labels["com.docker.compose.config-hash"] }
func (c container) project() string    { return c.Config.Labels["com.docker.compose.project"] }

// leftover reports a container that compose renamed to "<its own short ID>_<name>" to recreate
// it and never removed: both compose generations rename the old container so, create the new
// one, then remove the old; an interrupt in between leaves it, and the next up fails on the
// name. Matching the container's own ID makes a user's container named so unlikely.
func (c container) leftover() bool {
	return len(c.ID) >= 12 && strings.HasPrefix(c.name(), c.ID[:12]+"_")
}

// health is "healthy", "unhealthy", "starting", or "" when the image has no healthcheck.
func (c container) health() string {
	if c.State.Health == nil {
		return ""
	}
	return c.State.Health.Status
}

// parseContainers decodes docker inspect output (one or more JSON arrays).
func parseContainers(out []byte) ([]container, error) {
	var all []container
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var batch []container
		err := dec.Decode(&batch)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("decode docker inspect: %w", err)
		}
		for _, c := range batch {
			if !c.oneoff() {
				all = append(all, c)
			}
		}
	}
	return all, nil
}

// observation is what the probes found, decoded.
type observation struct {
	manifest   *Manifest
	problems   []string                       // observations that failed, as reasons
	files      map[string]modules.ProbeResult // by relative path
	containers []container
	// leftovers are containers an interrupted recreate renamed and never removed (see
	// leftover); they are not counted as the project's containers.
	leftovers []container
	// idle are containers of the colour that does not serve (see colour.go): left by an
	// interrupted start-first deploy. They are neither the stack's containers nor orphans.
	idle       []container
	hostImages map[string]string   // ref -> image ID; absent when the host lacks it
	registry   map[string][]string // ref -> config digests the registry serves; absent when unknown
}

// observe decodes results, one per probe of Probes, in order.
func (r *Resource) observe(results []modules.ProbeResult) observation {
	o := observation{files: map[string]modules.ProbeResult{}, hostImages: map[string]string{}, registry: map[string][]string{}}
	if len(results) != len(r.Probes()) {
		o.problems = append(o.problems, fmt.Sprintf("observation incomplete: %d results for %d probes", len(results), len(r.Probes())))
		return o
	}
	m, err := parseManifest("host", r.manifestPath(), results[0].Data)
	if err != nil {
		o.problems = append(o.problems, "manifest unreadable: "+err.Error())
	}
	o.manifest = m
	i := 1
	for _, f := range r.files {
		o.files[f.rel] = results[i]
		i++
	}
	cs, err := containersResult(results[i])
	if err != nil {
		o.problems = append(o.problems, err.Error())
	}
	live := r.liveProject(m)
	for _, c := range cs {
		switch {
		case c.project() == otherColour(r.spec.Name, live):
			o.idle = append(o.idle, c)
		case c.leftover():
			o.leftovers = append(o.leftovers, c)
		default:
			o.containers = append(o.containers, c)
		}
	}
	i++
	refs := r.images()
	for _, ref := range refs {
		if res := results[i]; res.ExitCode == 0 {
			o.hostImages[ref] = strings.TrimSpace(string(res.Stdout))
		}
		i++
	}
	for _, ref := range r.pulled() {
		if ds, ok := registryDigests(results[i]); ok {
			o.registry[ref] = ds
		}
		i++
	}
	return o
}

func containersResult(res modules.ProbeResult) ([]container, error) {
	if res.Missing || res.ExitCode == 127 {
		return nil, nil // Docker is not installed yet: the host layer installs it first
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("cannot list containers: docker exit %d: %s", res.ExitCode, firstLine(res.Stderr))
	}
	return parseContainers(res.Stdout)
}

// registryDigests reads `docker manifest inspect -v`: one object for a single manifest, an
// array for a list. It returns the config digests, which are image IDs once pulled.
func registryDigests(res modules.ProbeResult) ([]string, bool) {
	if res.ExitCode != 0 || len(bytes.TrimSpace(res.Stdout)) == 0 {
		return nil, false
	}
	type entry struct {
		V2  *struct{ Config struct{ Digest string } } `json:"SchemaV2Manifest"`
		OCI *struct{ Config struct{ Digest string } } `json:"OCIManifest"`
	}
	var list []entry
	out := bytes.TrimSpace(res.Stdout)
	if out[0] == '{' {
		var e entry
		if json.Unmarshal(out, &e) != nil {
			return nil, false
		}
		list = []entry{e}
	} else if json.Unmarshal(out, &list) != nil {
		return nil, false
	}
	var ds []string
	for _, e := range list {
		switch {
		case e.V2 != nil && e.V2.Config.Digest != "":
			ds = append(ds, e.V2.Config.Digest)
		case e.OCI != nil && e.OCI.Config.Digest != "":
			ds = append(ds, e.OCI.Config.Digest)
		}
	}
	return ds, len(ds) > 0
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
