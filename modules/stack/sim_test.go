package stack

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

const canary = "canary-Zq8r2-s3cr3t"

// testSpec is a two-service stack: web (with a healthcheck, published port) and worker.
func testSpec(gen string) Spec {
	one := 1
	return Spec{
		Name:        "shop",
		Dir:         "/srv/berth/shop",
		ComposeFile: []byte("services:\n  web:\n    image: registry.test:5000/web:1\n  worker:\n    image: registry.test:5000/worker:1\n"),
		ConfigFiles: map[string][]byte{"conf/app.ini": []byte("[app]\nport=8080\n")},
		Env:         []byte("API_KEY=" + canary + "\nMODE=prod\n"),
		Project: &types.Project{Name: "shop", Services: types.Services{
			"web":    {Name: "web", Scale: &one, ContainerSpec: types.ContainerSpec{Image: "registry.test:5000/web:1"}},
			"worker": {Name: "worker", ContainerSpec: types.ContainerSpec{Image: "registry.test:5000/worker:1"}},
		}},
		Ports:         map[string]PublishedPort{"http": {Name: "http", Service: "web", Container: 8080, Host: 20001}},
		HealthTimeout: 30 * time.Second,
		Compose:       Compose{Generation: gen},
		Replica:       1,
	}
}

// sim is a fake Docker daemon on a fake host: containers, images, a registry, and what
// `compose up` does to them.
type sim struct {
	t        *testing.T
	host     *hosttest.Fake
	gen      string
	images   map[string]string // ref -> ID in the host daemon
	registry map[string]string // ref -> ID the registry serves (pull moves it to images)
	ctrs     []container
	// health is what containers of each service report after up: "healthy", "unhealthy",
	// "starting" or "" (no healthcheck); status "exited" when set in exited.
	health map[string]string
	exited map[string]bool
	ups    int
	// afterUp, when set, runs after each up (e.g. to make the rollback's up healthy).
	afterUp func(n int)
	logs    string
	// onInspect, when set, runs before each listing of the containers.
	onInspect func()
}

func newSim(t *testing.T, gen string) *sim {
	s := &sim{t: t, host: hosttest.New("app-1"), gen: gen,
		images:   map[string]string{},
		registry: map[string]string{"registry.test:5000/web:1": "sha256:" + strings.Repeat("a", 64), "registry.test:5000/worker:1": "sha256:" + strings.Repeat("b", 64)},
		health:   map[string]string{"web": "healthy", "worker": ""},
		exited:   map[string]bool{},
	}
	h := s.host
	h.Reply("sh -c ", "", 0)
	h.Handle("sh -c 'ids=$(docker ps", func([]string, []byte) modules.Result { return s.inspectAll() })
	h.Handle("docker image inspect", func(argv []string, _ []byte) modules.Result {
		if id, ok := s.images[argv[len(argv)-1]]; ok {
			return modules.Result{Stdout: []byte(id + "\n")}
		}
		return modules.Result{Stderr: []byte("Error: No such image"), ExitCode: 1}
	})
	h.Handle("timeout 20 docker manifest inspect", func(argv []string, _ []byte) modules.Result {
		id, ok := s.registry[argv[len(argv)-1]]
		if !ok {
			return modules.Result{ExitCode: 1}
		}
		return modules.Result{Stdout: []byte(`{"Ref":"x","SchemaV2Manifest":{"config":{"digest":"` + id + `"}}}`)}
	})
	h.Handle("docker tag", func(argv []string, _ []byte) modules.Result {
		s.images[argv[3]] = argv[2]
		return modules.Result{}
	})
	h.Handle("docker logs", func([]string, []byte) modules.Result { return modules.Result{Stdout: []byte(s.logs)} })
	h.Handle("docker inspect", func(argv []string, _ []byte) modules.Result { return s.inspectOne(argv[2]) })
	h.Reply("docker load", "Loaded image", 0)
	h.Handle("docker rm -f --", func(argv []string, _ []byte) modules.Result {
		for _, id := range argv[4:] {
			s.ctrs = slices.DeleteFunc(s.ctrs, func(c container) bool { return c.ID == id })
		}
		return modules.Result{}
	})
	compose := modules.QuoteArgv(Compose{Generation: gen}.command())
	h.Handle(compose+" -p shop", s.compose)
	return s
}

func (s *sim) compose(argv []string, _ []byte) modules.Result {
	switch argv[len(argv)-1] {
	case "pull":
		for ref, id := range s.registry {
			s.images[ref] = id
		}
	case "--remove-orphans":
		for _, c := range s.ctrs {
			if c.leftover() { // as both compose generations fail on it
				return modules.Result{ExitCode: 1, Stderr: []byte("Conflict. The container name " + c.Name + " is already in use")}
			}
		}
		s.up()
	}
	return modules.Result{}
}

// up recreates one container per service from the current images.
func (s *sim) up() {
	s.ups++
	s.ctrs = nil
	for _, svc := range []string{"web", "worker"} {
		ref := "registry.test:5000/" + svc + ":1"
		c := container{ID: "id-" + svc, Name: "/" + Compose{Generation: s.gen}.ContainerName("shop", svc, 1), Image: s.images[ref]}
		c.State.Status = "running"
		if s.exited[svc] {
			c.State.Status, c.State.ExitCode = "exited", 1
		}
		if hs := s.health[svc]; hs != "" {
			c.State.Health = &struct {
				Status string `json:"Status"`
				Log    []struct {
					ExitCode int    `json:"ExitCode"`
					Output   string `json:"Output"`
				} `json:"Log"`
			}{Status: hs}
		}
		c.Config.Image = ref
		c.Config.Labels = map[string]string{
			"com.docker.compose.project": "shop", "com.docker.compose.service": svc,
			"com.docker.compose.config-hash": "cfg-" + svc + "-" + s.images[ref],
		}
		s.ctrs = append(s.ctrs, c)
	}
	if s.afterUp != nil {
		s.afterUp(s.ups)
	}
}

func (s *sim) inspectAll() modules.Result {
	if s.onInspect != nil {
		s.onInspect()
	}
	if len(s.ctrs) == 0 {
		return modules.Result{}
	}
	b, err := json.Marshal(s.ctrs)
	if err != nil {
		s.t.Fatal(err)
	}
	return modules.Result{Stdout: b}
}

func (s *sim) inspectOne(id string) modules.Result {
	for _, c := range s.ctrs {
		if c.ID == id {
			b, _ := json.Marshal([]container{c})
			return modules.Result{Stdout: b}
		}
	}
	return modules.Result{Stderr: []byte("Error: No such object: " + id), ExitCode: 1}
}

// plan observes the fake host and diffs, as the engine does.
func plan(t *testing.T, r *Resource, h *hosttest.Fake) []modules.Change {
	t.Helper()
	res, err := h.Observe(context.Background(), r.Probes())
	if err != nil {
		t.Fatal(err)
	}
	return r.Diff(res)
}

// newResource makes a resource whose health wait needs no real time: sleep advances a fake
// clock.
func newResource(spec Spec) *Resource {
	r := New(spec)
	clock := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return clock }
	r.sleep = func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
	return r
}

// deploy plans and applies every change, returning the first error.
func deploy(t *testing.T, r *Resource, h *hosttest.Fake) error {
	t.Helper()
	for _, c := range plan(t, r, h) {
		if err := r.Apply(context.Background(), h, c); err != nil {
			return err
		}
	}
	return nil
}

func nopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
