package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/berth-dev/berth/modules"
)

// A deploy is the one change whose steps must never stop half way: once compose has stopped
// the old containers, only finishing (new version healthy) or rolling back (old version
// healthy) leaves the stack serving. So a stop-first deploy, and a rolling batch's return to
// the previous version, are handed to the host as a job when the host can run one (the berth
// agent, see modules.Detacher): the host carries it out to its end even if berth is killed,
// interrupted twice or cut off. The job is the deploy as data: every value the deploy, its
// health wait and its rollback read, and nothing they would have to look up again.

// JobKind names stack jobs for the agent's registry of job runners.
const JobKind = "stack"

// Job operations.
const (
	jobDeploy = "deploy"
	jobReturn = "return"
)

// job is the wire form of a deploy or a return. It carries the env file, so it travels only
// over the agent's stdin and lives on the host in a 0600 file removed once read.
type job struct {
	Op      string        `json:"op"`
	Spec    jobSpec       `json:"spec"`
	Files   []jobFile     `json:"files"`
	Project string        `json:"project"`
	Shape   shape         `json:"shape"`
	Old     *Manifest     `json:"old,omitempty"`
	Left    []container   `json:"leftovers,omitempty"`
	Idle    []container   `json:"idle,omitempty"`
	Names   []string      `json:"names,omitempty"` // return: the files of the version returned from
	Poll    time.Duration `json:"poll"`
}

// jobSpec is the part of Spec a deploy reads.
type jobSpec struct {
	Name          string                   `json:"name"`
	Dir           string                   `json:"dir"`
	Images        string                   `json:"images"`
	Built         []string                 `json:"built,omitempty"`
	Compose       Compose                  `json:"compose"`
	Profiles      []string                 `json:"profiles,omitempty"`
	HealthTimeout time.Duration            `json:"health_timeout"`
	Env           []byte                   `json:"env,omitempty"`
	PruneImages   bool                     `json:"prune_images,omitempty"`
	Operator      string                   `json:"operator,omitempty"`
	Keep          int                      `json:"keep,omitempty"`
	Ports         map[string]PublishedPort `json:"ports,omitempty"`
}

type jobFile struct {
	Rel    string      `json:"rel"`
	Data   []byte      `json:"data"`
	Mode   fs.FileMode `json:"mode"`
	Secret bool        `json:"secret,omitempty"`
	Sum    string      `json:"sum"`
}

// shape is what a deploy needs of the compose project: its services with their container
// counts and images. On the host, where no compose project is loaded, it stands in for
// Spec.Project.
type shape struct {
	Services map[string]int    `json:"services"`
	Images   map[string]string `json:"images"` // service -> image reference
}

func (r *Resource) shape() shape {
	if r.spec.Project == nil {
		if r.detached != nil {
			return *r.detached
		}
		return shape{}
	}
	s := shape{Services: map[string]int{}, Images: map[string]string{}}
	for name, svc := range r.spec.Project.Services {
		s.Services[name] = svc.GetScale()
		if svc.Image != "" {
			s.Images[name] = svc.Image
		}
	}
	return s
}

// newJob describes change op of this resource (acting on its project) as a job.
func (r *Resource) newJob(op string, d *deployState, names []string) job {
	j := job{Op: op, Project: r.projectName(), Shape: r.shape(), Old: d.manifest, Left: d.leftovers, Idle: d.idle, Names: names, Poll: r.poll,
		Spec: jobSpec{Name: r.spec.Name, Dir: r.spec.Dir, Images: r.spec.Images, Built: r.spec.Built, Compose: r.spec.Compose,
			Profiles: r.spec.Profiles, HealthTimeout: r.spec.HealthTimeout, Env: []byte(r.spec.Env), PruneImages: r.spec.PruneImages,
			Operator: r.spec.Operator, Keep: r.spec.Keep, Ports: r.spec.Ports}}
	for _, f := range r.files {
		j.Files = append(j.Files, jobFile{Rel: f.rel, Data: f.data, Mode: f.mode, Secret: f.secret, Sum: f.sum})
	}
	return j
}

// resource rebuilds, on the host, the resource the job was made from.
func (j job) resource() *Resource {
	s := j.Spec
	sh := j.Shape
	r := &Resource{spec: Spec{Name: s.Name, Dir: s.Dir, Images: s.Images, Built: s.Built, Compose: s.Compose, Profiles: s.Profiles,
		HealthTimeout: s.HealthTimeout, Env: s.Env, PruneImages: s.PruneImages, Operator: s.Operator, Keep: s.Keep, Ports: s.Ports},
		poll: j.Poll, sleep: sleepCtx, now: time.Now, project: j.Project, detached: &sh}
	if r.poll <= 0 {
		r.poll = time.Second
	}
	for _, f := range j.Files {
		r.files = append(r.files, file{rel: f.Rel, data: f.Data, mode: f.Mode, secret: f.Secret, sum: f.Sum})
	}
	return r
}

// carry runs op on the host on its own when the host can (see modules.Detacher), or here.
func (r *Resource) carry(ctx context.Context, h modules.Host, op string, d *deployState, names []string, here func() error) error {
	det, ok := h.(modules.Detacher)
	if !ok || !det.CanDetach() {
		return here()
	}
	data, err := json.Marshal(r.newJob(op, d, names))
	if err != nil {
		return fmt.Errorf("stack %s on %s: encode job: %w", r.spec.Name, h.Name(), err)
	}
	return det.Detach(ctx, modules.Job{Kind: JobKind, Title: "stack." + r.spec.Name + " " + op, Data: data})
}

// RunJob carries out a stack job on host h (the host itself, in the agent's job process).
// Its context is the job's own: nothing berth does on its side can cancel it.
func RunJob(ctx context.Context, h modules.Host, data []byte) error {
	var j job
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("stack job: %w", err)
	}
	r := j.resource()
	switch j.Op {
	case jobDeploy:
		return r.deploy(ctx, h, &deployState{manifest: j.Old, leftovers: j.Left, idle: j.Idle})
	case jobReturn:
		if j.Old == nil {
			return fmt.Errorf("stack %s on %s: nothing to return to", j.Spec.Name, h.Name())
		}
		return r.returnTo(ctx, h, j.Old, j.Names)
	}
	return fmt.Errorf("stack job: unknown operation %q", j.Op)
}
