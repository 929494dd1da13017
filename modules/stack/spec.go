package stack

import (
	"context"
	"io"
	"path"
	"sort"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/secret"
)

// File names in a stack's directory on the host.
const (
	ComposeFileName  = "docker-compose.yml"
	OverrideFileName = "berth.override.yml"
	EnvFileName      = ".env"
)

// StateRoot is where berth keeps its own state of each stack on a host (manifest, previous
// version). Where the stack's own files go is the inventory's business (Spec.Dir).
const StateRoot = "/var/lib/berth/stacks"

// Images modes.
const (
	ImagesPull = "pull" // the host pulls from a registry
	ImagesShip = "ship" // berth streams `docker save` from the machine running it
)

// PublishedPort is a host port berth chose for a container port of a service.
type PublishedPort struct {
	Name      string `json:"name"`
	Service   string `json:"service"`
	Container int    `json:"container"`
	Host      int    `json:"host"`
	Protocol  string `json:"protocol,omitempty"` // "tcp" when empty
	// Bind is the address the host port listens on; "" for every interface.
	Bind string `json:"bind,omitempty"`
}

// LocalImage is an image in the daemon of the machine running berth (images = "ship").
type LocalImage struct {
	ID   string // sha256:...
	Size int64  // bytes, as `docker image inspect` reports it
}

// SaveFunc streams `docker save REF` from the machine running berth.
type SaveFunc func(ctx context.Context, ref string) (io.ReadCloser, error)

// Spec is the desired state of one stack on one host.
type Spec struct {
	Name string
	// Dir is the stack's directory on the host (absolute; the inventory fills its default).
	Dir string
	// ComposeFile is the compose file to ship (the inventory's, see inventory.Stack).
	ComposeFile []byte
	// ComposeVersion is the top-level version the override must repeat for compose v1.
	ComposeVersion string
	// Source names the user's compose file (relative to the inventory) and holds its
	// content, for messages that point at a line of it.
	Source     string
	SourceText []byte
	// Profiles are the compose profiles the stack activates.
	Profiles []string
	// Built are the image references berth built where it runs: always shipped, never pulled.
	Built []string
	// CheckCompose asks the host's compose, in the plan's observation, whether it can read
	// the project (set when facts found compose on the host).
	CheckCompose bool
	// ConfigFiles are the stack's other files, by path relative to Dir.
	ConfigFiles map[string][]byte
	// Env is shipped as Dir/.env, mode 0600. Never printed.
	Env secret.Bytes
	// Project is the compose project as the inventory loaded it; it names services and images.
	Project *types.Project
	// Ports are berth's chosen host ports, by port name.
	Ports map[string]PublishedPort
	// Images is ImagesPull or ImagesShip (the inventory defaults it).
	Images string
	// LocalImages and Save serve images = "ship": the engine fills LocalImages from the local
	// daemon before planning and provides Save to stream an image.
	LocalImages map[string]LocalImage
	Save        SaveFunc
	// ForceRecreate recreates the stack even when nothing changed.
	ForceRecreate bool
	// PruneImages removes dangling images (`docker image prune -f`, never volumes) after a
	// successful deploy.
	PruneImages bool
	// HealthTimeout bounds the wait for healthy containers (the inventory defaults it).
	HealthTimeout time.Duration
	Compose       Compose
	// Replica is this host's replica number of the stack (1-based), set as a label.
	Replica int
	// Operator ("user@machine") is recorded in the manifest; Keep is how many versions the
	// host keeps for rollback (0: DefaultKeep).
	Operator string
	Keep     int
	// StartFirst deploys a running replica beside the running version, as the stack's other
	// colour on Ports (the replica's standby ports until the switch), rather than in place
	// (see colour.go). The plan decides it (schedule.StrategyFor).
	StartFirst bool
}

// Resource is a compose stack on one host.
type Resource struct {
	spec  Spec
	files []file // desired files, sorted by path
	// poll and sleep are the health wait's interval and clock; tests replace them.
	poll  time.Duration
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
	// project is the compose project (colour) acted on; "" is the stack's name (see in).
	project string
	// detached stands in for Spec.Project in a job run on the host (see job.go).
	detached *shape
}

var (
	_ modules.Resource    = (*Resource)(nil)
	_ modules.StackMember = (*Resource)(nil)
)

// New returns the stack resource for spec, complete as the inventory fills it: no default
// is filled here (Validate refuses what is missing when a deploy starts).
func New(spec Spec) *Resource {
	r := &Resource{spec: spec, poll: time.Second, sleep: sleepCtx, now: time.Now}
	r.files = desiredFiles(spec)
	return r
}

// Address implements modules.Resource.
func (r *Resource) Address() string { return "stack." + r.spec.Name }

// Name is the stack's (and compose project's) name.
func (r *Resource) Name() string { return r.spec.Name }

// Stack implements modules.StackMember.
func (r *Resource) Stack() string { return r.spec.Name }

func (r *Resource) stateDir() string     { return path.Join(StateRoot, r.spec.Name) }
func (r *Resource) manifestPath() string { return path.Join(r.stateDir(), ManifestName) }
func (r *Resource) previousDir() string  { return path.Join(r.stateDir(), "previous") }

// images returns the stack's image references, sorted and unique.
func (r *Resource) images() []string {
	if r.spec.Project == nil && r.detached != nil {
		seen := map[string]bool{}
		var refs []string
		for _, ref := range r.detached.Images {
			if !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
		sort.Strings(refs)
		return refs
	}
	return projectImages(r.spec.Project)
}

// built reports whether berth built ref where it runs.
func (r *Resource) built(ref string) bool {
	for _, b := range r.spec.Built {
		if b == ref {
			return true
		}
	}
	return false
}

// shipped reports whether ref travels from the machine running berth (ship) rather than
// from a registry (pull).
func (r *Resource) shipped(ref string) bool {
	return r.spec.Images == ImagesShip || r.built(ref)
}

// pulled are the references the hosts pull from a registry.
func (r *Resource) pulled() []string {
	var out []string
	for _, ref := range r.images() {
		if !r.shipped(ref) {
			out = append(out, ref)
		}
	}
	return out
}

func projectImages(p *types.Project) []string {
	if p == nil {
		return nil
	}
	seen := map[string]bool{}
	var refs []string
	for _, s := range p.Services {
		if s.Image != "" && !seen[s.Image] {
			seen[s.Image] = true
			refs = append(refs, s.Image)
		}
	}
	sort.Strings(refs)
	return refs
}

// services returns the project's service names, sorted, with their expected container counts.
func (r *Resource) services() ([]string, map[string]int) {
	want := map[string]int{}
	var names []string
	if r.spec.Project == nil {
		if r.detached != nil {
			for name, n := range r.detached.Services {
				names = append(names, name)
				want[name] = n
			}
			sort.Strings(names)
		}
		return names, want
	}
	for name, s := range r.spec.Project.Services {
		names = append(names, name)
		want[name] = s.GetScale()
	}
	sort.Strings(names)
	return names, want
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
