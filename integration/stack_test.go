package integration

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-dev/berth/integration/testbed"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/provisioner/conn"
	"github.com/berth-dev/berth/provisioner/facts"
)

// The stack resource on real hosts: one Debian 12 host (docker-compose 1.29, v1) and one
// Debian 13 host (compose 2.26, v2), a TLS registry, images pushed under the same tag to
// publish new versions. These drive the resource directly (probes in one Observe, Diff,
// Apply), as the engine does; engine-level scenarios (berth apply, JSON events, syslog files)
// belong with the engine's tests.

const (
	stackCanary = "canary-7Hq2x-never-print-me"
	webPort     = 20001
)

// stackHost is a bed host reached over berth's SSH transport.
type stackHost struct {
	tb      *testbed.Host
	ssh     *conn.SSH
	compose stack.Compose
}

func TestStack(t *testing.T) {
	bed := startBed(t, "mixed-docker:3+registry") // its own bed: the ship scenario cuts h1 off the registry
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	pushWeb(ctx, t, bed, "v1", true)
	hosts := dialAll(ctx, t, bed)
	env := map[string]string{}
	for _, h := range hosts {
		env[h.tb.Name] = "GREETING=hello\nAPI_KEY=" + stackCanary + "\n"
	}
	scan := startCmdlineScan(ctx, t, hosts)

	t.Run("first deploy serves on both generations", func(t *testing.T) {
		applyAll(ctx, t, hosts, env, nil, len(hosts))
		for _, h := range hosts {
			wantServed(ctx, t, h, "hello v1")
			writeData(ctx, t, h)
			mode := execOn(ctx, t, h, "stat", "-c", "%a %U", "/srv/berth/shop/.env")
			if mode != "600 root" {
				t.Errorf("%s: .env is %q, want 600 root", h.tb.Name, mode)
			}
		}
	})
	t.Run("second apply changes nothing", func(t *testing.T) {
		start := time.Now()
		applyAll(ctx, t, hosts, env, nil, 0)
		t.Logf("no-change apply of 1 stack on %d hosts: %s", len(hosts), time.Since(start).Round(time.Millisecond))
	})
	t.Run("env change recreates that host only", func(t *testing.T) {
		env[hosts[0].tb.Name] = "GREETING=bonjour\nAPI_KEY=" + stackCanary + "\n"
		start := time.Now()
		cs := applyAll(ctx, t, hosts, env, nil, 1)
		t.Logf("one-stack change on 1 of %d hosts: %s", len(hosts), time.Since(start).Round(time.Millisecond))
		if cs[0].Host != hosts[0].tb.Name || cs[0].Reason != ".env changed (sensitive)" {
			t.Fatalf("changes: %+v", cs)
		}
		wantServed(ctx, t, hosts[0], "bonjour v1")
		wantServed(ctx, t, hosts[1], "hello v1")
	})
	t.Run("forced recreate on every host", func(t *testing.T) {
		start := time.Now()
		applyAll(ctx, t, hosts, env, func(s *stack.Spec) { s.ForceRecreate = true }, len(hosts))
		t.Logf("one-stack change on %d hosts: %s", len(hosts), time.Since(start).Round(time.Millisecond))
	})
	t.Run("new image under the same tag", func(t *testing.T) {
		pushWeb(ctx, t, bed, "v2", true)
		cs := applyAll(ctx, t, hosts, env, nil, len(hosts))
		for _, c := range cs {
			if !strings.Contains(c.Reason, "registry has a newer registry.test:5000/shop-web:1") {
				t.Errorf("%s: reason %q", c.Host, c.Reason)
			}
		}
		wantServed(ctx, t, hosts[0], "bonjour v2")
		wantServed(ctx, t, hosts[1], "hello v2")
	})
	t.Run("failing healthcheck rolls back", func(t *testing.T) {
		pushWeb(ctx, t, bed, "v3", false)
		for _, h := range hosts {
			r := newStack(h, env[h.tb.Name], nil)
			cs := planOn(ctx, t, h, r)
			err := applyOn(ctx, h, r, cs)
			if err == nil || !strings.Contains(err.Error(), "is unhealthy") || !strings.Contains(err.Error(), "rolled back") {
				t.Fatalf("%s: want an unhealthy error and a rollback, got %v", h.tb.Name, err)
			}
			t.Logf("%s: %v", h.tb.Name, err)
			if strings.Contains(err.Error(), stackCanary) {
				t.Fatalf("%s: error leaks the env", h.tb.Name)
			}
		}
		wantServed(ctx, t, hosts[0], "bonjour v2")
		wantServed(ctx, t, hosts[1], "hello v2")
		pushWeb(ctx, t, bed, "v2", true) // the registry serves a good version again
	})
	t.Run("images shipped to a host without registry", func(t *testing.T) {
		h := hosts[0] // docker-compose 1.29 cannot even pull-skip a local-only image
		execOn(ctx, t, h, "sh", "-c", "sed 's/^.*registry.test$//' /etc/hosts > /tmp/hosts && cat /tmp/hosts > /etc/hosts && echo '127.0.0.9 registry.test' >> /etc/hosts")
		execOn(ctx, t, h, "docker", "rmi", "-f", "registry.test:5000/shop-web:1")
		local := localImage(ctx, t, bed, "shop-web:1")
		ship := func(s *stack.Spec) {
			s.Images, s.LocalImages, s.Save = stack.ImagesShip, local, dockerSave
		}
		r := newStack(h, env[h.tb.Name], ship)
		cs := planOn(ctx, t, h, r)
		if len(cs) < 2 || cs[0].Op != stack.OpShip {
			t.Fatalf("plan: %+v", cs)
		}
		t.Logf("ship plan: %s %s: %s -> %s", cs[0].Action, cs[0].Address, cs[0].Before, cs[0].After)
		if err := applyOn(ctx, h, r, cs); err != nil {
			t.Fatal(err)
		}
		wantServed(ctx, t, h, "bonjour v2")
		if cs := planOn(ctx, t, h, newStack(h, env[h.tb.Name], ship)); len(cs) != 0 {
			t.Fatalf("second plan: %+v", cs)
		}
	})
	t.Run("data survives recreate, rollback and removal", func(t *testing.T) {
		for _, h := range hosts {
			checkData(ctx, t, h)
			rm := stack.Removal("shop", "/srv/berth/shop", "")
			cs := planOn(ctx, t, h, rm)
			if len(cs) != 1 || cs[0].After != "containers stopped and removed, volumes kept" {
				t.Fatalf("%s: removal plan %+v", h.tb.Name, cs)
			}
			if err := applyOn(ctx, h, rm, cs); err != nil {
				t.Fatal(err)
			}
			if n := execOn(ctx, t, h, "sh", "-c", "docker ps -aq --filter label=com.docker.compose.project=shop | wc -l"); n != "0" {
				t.Errorf("%s: %s containers left", h.tb.Name, n)
			}
			checkData(ctx, t, h)
			if cs := planOn(ctx, t, h, rm); len(cs) != 0 {
				t.Errorf("%s: removed stack still plans %+v", h.tb.Name, cs)
			}
		}
	})
	if hits := scan(); hits != "" {
		t.Errorf("the env canary appeared on a host command line:\n%s", hits)
	}
}

func pushWeb(ctx context.Context, t *testing.T, bed *testbed.Bed, version string, healthy bool) {
	t.Helper()
	files := map[string]string{"/version": version + "\n"}
	if healthy {
		files["/healthy"] = "ok\n"
	}
	if _, err := bed.PushImage(ctx, "shop-web:1", files); err != nil {
		t.Fatal(err)
	}
}

const shopCompose = `services:
  web:
    image: registry.test:5000/shop-web:1
    env_file: .env
    command: ["sh", "-c", "mkdir -p /tmp/www && echo \"$$GREETING $$(cat /version)\" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-f", "/healthy"]
      interval: 1s
      timeout: 2s
      retries: 2
    volumes:
      - data:/data
      - ./data:/bind
  worker:
    image: registry.test:5000/shop-web:1
    command: ["sleep", "100000"]
    init: true
volumes:
  data: {}
`

func newStack(h stackHost, env string, edit func(*stack.Spec)) *stack.Resource {
	spec := stack.Spec{
		Dir:         "/srv/berth/shop",
		Images:      stack.ImagesPull,
		Name:        "shop",
		ComposeFile: []byte(shopCompose),
		ConfigFiles: map[string][]byte{"conf/app.ini": []byte("[app]\n")},
		Env:         []byte(env),
		Project: &types.Project{Name: "shop", Services: types.Services{
			"web":    {Name: "web", ContainerSpec: types.ContainerSpec{Image: "registry.test:5000/shop-web:1"}},
			"worker": {Name: "worker", ContainerSpec: types.ContainerSpec{Image: "registry.test:5000/shop-web:1"}},
		}},
		Ports:         map[string]stack.PublishedPort{"http": {Name: "http", Service: "web", Container: 8080, Host: webPort}},
		HealthTimeout: 60 * time.Second,
		Compose:       h.compose,
		Replica:       1,
	}
	if edit != nil {
		edit(&spec)
	}
	return stack.New(spec)
}

func planOn(ctx context.Context, t *testing.T, h stackHost, r modules.Resource) []modules.Change {
	t.Helper()
	res, err := h.ssh.Observe(ctx, r.Probes())
	if err != nil {
		t.Fatalf("observe %s: %v", h.tb.Name, err)
	}
	cs := r.Diff(res)
	for i := range cs {
		cs[i].Host = h.tb.Name
		if strings.Contains(fmt.Sprintf("%+v", cs[i]), stackCanary) {
			t.Fatalf("a change leaks the env: %+v", cs[i])
		}
	}
	return cs
}

func applyOn(ctx context.Context, h stackHost, r modules.Resource, cs []modules.Change) error {
	for _, c := range cs {
		if err := r.Apply(ctx, h.ssh, c); err != nil {
			return err
		}
	}
	return nil
}

// applyAll plans the stack on every host and applies the changes, hosts in parallel as the
// engine does; it checks the number of changes.
func applyAll(ctx context.Context, t *testing.T, hosts []stackHost, env map[string]string, edit func(*stack.Spec), want int) []modules.Change {
	t.Helper()
	changes := make([][]modules.Change, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			r := newStack(h, env[h.tb.Name], edit)
			res, err := h.ssh.Observe(ctx, r.Probes())
			if err != nil {
				errs[i] = err
				return
			}
			changes[i] = r.Diff(res)
			for j := range changes[i] {
				changes[i][j].Host = h.tb.Name
			}
			errs[i] = applyOn(ctx, h, r, changes[i])
		})
	}
	wg.Wait()
	var all []modules.Change
	for i, h := range hosts {
		for _, c := range changes[i] {
			t.Logf("%s: %s %s: %s", h.tb.Name, c.Action, c.Address, c.Reason)
			if strings.Contains(fmt.Sprintf("%+v", c), stackCanary) {
				t.Fatalf("a change leaks the env: %+v", c)
			}
		}
		if errs[i] != nil {
			t.Fatalf("%s: %v", h.tb.Name, errs[i])
		}
		all = append(all, changes[i]...)
	}
	if len(all) != want {
		t.Fatalf("want %d changes, got %d: %+v", want, len(all), all)
	}
	return all
}

func dialAll(ctx context.Context, t *testing.T, bed *testbed.Bed) []stackHost {
	t.Helper()
	var hs []stackHost
	for _, tb := range bed.Hosts {
		c, err := conn.Dial(ctx, &conn.Config{Name: tb.Name, Address: tb.Address, Port: 22, User: tb.User,
			IdentityFiles: []string{tb.KeyFile}, KnownHosts: []string{tb.KnownHosts}, Become: true})
		if err != nil {
			t.Fatalf("dial %s: %v", tb.Name, err)
		}
		t.Cleanup(func() { c.Close() })
		f, err := facts.Gather(ctx, c)
		if err != nil {
			t.Fatalf("facts %s: %v", tb.Name, err)
		}
		hs = append(hs, stackHost{tb: tb, ssh: c, compose: stack.Compose{Generation: f.Compose.Variant, Argv: f.ComposeCommand()}})
		t.Logf("%s: %s, compose %s %s", tb.Name, tb.Release, f.Compose.Variant, f.Compose.Version)
	}
	return hs
}

// execOn runs argv as root on the host (docker exec, not berth's transport).
func execOn(ctx context.Context, t *testing.T, h stackHost, argv ...string) string {
	t.Helper()
	out, err := h.tb.Exec(ctx, argv...)
	if err != nil {
		t.Fatalf("%s: %v: %v", h.tb.Name, argv, err)
	}
	return strings.TrimSpace(out)
}

func wantServed(ctx context.Context, t *testing.T, h stackHost, want string) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", webPort)
	got := execOn(ctx, t, h, "python3", "-c", "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('"+url+"', timeout=10).read().decode())")
	if got != want {
		t.Fatalf("%s serves %q, want %q", h.tb.Name, got, want)
	}
}

const webCtr = "$(docker ps -q --filter label=com.docker.compose.project=shop --filter label=com.docker.compose.service=web)"

func writeData(ctx context.Context, t *testing.T, h stackHost) {
	t.Helper()
	execOn(ctx, t, h, "sh", "-c", "docker exec "+webCtr+" sh -c 'echo kept > /data/f && echo kept > /bind/f'")
}

// checkData reads the data back from the volume and the bind mount, with or without the stack.
func checkData(ctx context.Context, t *testing.T, h stackHost) {
	t.Helper()
	vol := execOn(ctx, t, h, "sh", "-c", "cat $(docker volume inspect --format '{{.Mountpoint}}' shop_data)/f")
	bind := execOn(ctx, t, h, "cat", "/srv/berth/shop/data/f")
	if vol != "kept" || bind != "kept" {
		t.Fatalf("%s: volume %q, bind mount %q", h.tb.Name, vol, bind)
	}
}

// startCmdlineScan watches every host's /proc/*/cmdline for the canary until the returned
// function is called; it returns what it saw.
func startCmdlineScan(ctx context.Context, t *testing.T, hosts []stackHost) func() string {
	loop := `rm -f /tmp/stop-scan /tmp/canary-hits /tmp/scan-done; while [ ! -e /tmp/stop-scan ]; do ` +
		`grep -aF -f /tmp/canary-pattern /proc/[0-9]*/cmdline >> /tmp/canary-hits 2>/dev/null; done; touch /tmp/scan-done`
	for _, h := range hosts {
		// The pattern goes through stdin: the scanner's own command line must not hold it.
		if _, err := h.tb.ExecInput(ctx, strings.NewReader(stackCanary+"\n"), "sh", "-c", "cat > /tmp/canary-pattern"); err != nil {
			t.Fatalf("%s: %v", h.tb.Name, err)
		}
		go h.tb.Exec(ctx, "sh", "-c", loop)
	}
	return func() string {
		var hits strings.Builder
		for _, h := range hosts {
			execOn(ctx, t, h, "sh", "-c", "touch /tmp/stop-scan; while [ ! -e /tmp/scan-done ]; do sleep 0.2; done")
			out, _ := h.tb.Exec(ctx, "sh", "-c", "cat /tmp/canary-hits 2>/dev/null; true")
			if s := strings.TrimSpace(out); s != "" {
				hits.WriteString(h.tb.Name + ": " + s + "\n")
			}
		}
		return hits.String()
	}
}

// localImage pulls the registry's image into this machine's daemon under the name the hosts
// use, and returns its ID and size, as the engine would for images = "ship".
func localImage(ctx context.Context, t *testing.T, bed *testbed.Bed, name string) map[string]stack.LocalImage {
	t.Helper()
	ref := bed.Registry.Address + "/" + name
	for _, argv := range [][]string{
		{"pull", bed.Registry.PushAddress + "/" + name},
		{"tag", bed.Registry.PushAddress + "/" + name, ref},
	} {
		if out, err := exec.CommandContext(ctx, "docker", argv...).CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v: %s", argv, err, out)
		}
	}
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}} {{.Size}}", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	var img stack.LocalImage
	fmt.Sscan(string(out), &img.ID, &img.Size)
	return map[string]stack.LocalImage{ref: img}
}

// dockerSave streams `docker save ref` from this machine.
func dockerSave(ctx context.Context, ref string) (io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, "docker", "save", ref)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &waitCloser{ReadCloser: out, cmd: cmd}, nil
}

type waitCloser struct {
	io.ReadCloser
	cmd *exec.Cmd
}

func (w *waitCloser) Close() error {
	w.ReadCloser.Close()
	return w.cmd.Wait()
}
