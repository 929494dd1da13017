package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// Every feature of docs/stacks.md through the real berth binary, on real hosts: h1 is Debian 12
// (docker-compose 1.29, v1), h2 Debian 13 (compose 2.26, v2), and the bed's TLS registry is
// where the test publishes new versions under the same tag. One obligation per subtest, checked
// on the hosts (what each replica serves, container IDs, files, images, volumes), never only in
// berth's output. The env file holds a canary (secrets_test.go) that must appear in no output
// of berth and on no command line on the hosts.

func TestStack(t *testing.T) {
	start := time.Now()
	bed := startBed(t, "mixed-docker:2+registry") // its own bed: the ship scenario cuts h1 off the registry
	t.Logf("bed up in %s", time.Since(start).Round(time.Millisecond))
	r := newStackRun(t, bed)
	h1 := bed.Hosts[0]
	for _, h := range bed.Hosts {
		t.Logf("%s: %s, %s", h.Name, h.Release, hostOut(t, h, "sh", "-c", "docker compose version 2>/dev/null || docker-compose version --short"))
	}
	scenario := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			began := time.Now()
			f(t)
			t.Logf("%s: %s", name, time.Since(began).Round(time.Millisecond))
		})
	}

	scenario("the first apply pulls from the registry and every replica answers", func(t *testing.T) {
		r.berth(t, 10*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		if got := r.replicaHosts(t); got != "h1 h2" {
			t.Fatalf("shop replicas on %q, want one on each host (h1 h2)", got)
		}
		r.served(t, "hello v1")
		for _, h := range bed.Hosts {
			digests := hostOut(t, h, "docker", "image", "inspect", "--format", "{{json .RepoDigests}}", r.web.Ref)
			if !strings.Contains(digests, r.web.Digest) {
				t.Errorf("%s: %s has digests %s, want the registry's %s", h.Name, r.web.Ref, digests, r.web.Digest)
			}
			if got := hostOut(t, h, "stat", "-c", "%a %U", "/srv/berth/shop/.env"); got != "600 root" {
				t.Errorf("%s: .env is %s, want 600 root", h.Name, got)
			}
			writeShopData(t, h)
		}
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
	})
	if t.Failed() {
		t.FailNow() // every later scenario starts from this deployment
	}

	scenario("an env change is planned as sensitive and served after apply", func(t *testing.T) {
		r.setEnv(t, "bonjour", envCanary+"-2")
		res := r.berth(t, 2*time.Minute, 2, "plan", r.dir, "--no-color")
		if n := strings.Count(res.Stdout, ".env changed (sensitive)"); n != 2 {
			t.Errorf("plan names \".env changed (sensitive)\" %d times, want once per host:\n%s", n, res.Stdout)
		}
		r.berth(t, 2*time.Minute, 2, "plan", r.dir, "--json")
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--json")
		r.served(t, "bonjour v1")
		for _, h := range bed.Hosts { // the worker reads the shipped .env through env_file: .env
			got := hostOut(t, h, "sh", "-c", "docker exec $(docker ps -q --filter label=com.docker.compose.project=shop --filter label=com.docker.compose.service=worker) sh -c 'echo \"$GREETING\"'")
			if got != "bonjour" {
				t.Errorf("%s: the worker's GREETING is %q, want bonjour (env_file: .env)", h.Name, got)
			}
		}
	})

	scenario("an unchanged stack is left alone", func(t *testing.T) {
		before := shopContainers(t, bed)
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		after := shopContainers(t, bed)
		for _, h := range bed.Hosts {
			if after[h.Name] != before[h.Name] {
				t.Errorf("%s: containers changed without a change:\nbefore %s\nafter  %s", h.Name, before[h.Name], after[h.Name])
			}
		}
	})

	scenario("--force-recreate recreates the containers of an unchanged stack", func(t *testing.T) {
		before := shopContainers(t, bed)
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--force-recreate", "--yes", "--no-color")
		wantRecreated(t, bed, before)
		r.served(t, "bonjour v1")
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
		checkShopData(t, bed)
	})

	scenario("force_recreate = true recreates on every apply", func(t *testing.T) {
		r.setShop(t, "force_recreate = true")
		for i := 1; i <= 2; i++ {
			before := shopContainers(t, bed)
			res := r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
			if n := strings.Count(res.Stdout, "recreate forced"); n != 2 {
				t.Errorf("apply %d: \"recreate forced\" %d times, want once per host:\n%s", i, n, res.Stdout)
			}
			wantRecreated(t, bed, before)
		}
		r.setShop(t, "")
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
		r.served(t, "bonjour v1")
	})

	var v1 map[string]string // image ID of v1 per host, dangling once v2 runs
	scenario("a new image under the same tag is planned and served", func(t *testing.T) {
		v1 = webImages(t, bed)
		r.web = pushWeb(t, bed, "v2", true)
		res := r.berth(t, 2*time.Minute, 2, "plan", r.dir, "--no-color")
		if n := strings.Count(res.Stdout, "registry has a newer "+r.web.Ref); n != 2 {
			t.Errorf("plan names the newer %s %d times, want once per host:\n%s", r.web.Ref, n, res.Stdout)
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		r.served(t, "bonjour v2")
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
		// Without prune_images the old image stays: the prune scenario's control.
		for _, h := range bed.Hosts {
			if _, err := h.Exec(context.Background(), "docker", "image", "inspect", v1[h.Name]); err != nil {
				t.Errorf("%s: the replaced image %s is gone without prune_images", h.Name, v1[h.Name])
			}
		}
	})

	scenario("a version that never turns healthy fails apply and is rolled back", func(t *testing.T) {
		running := webImages(t, bed)
		ini := map[string]string{}
		for _, h := range bed.Hosts {
			ini[h.Name] = sha(t, h, "/srv/berth/shop/conf/app.ini")
		}
		r.writeInv(t, "stacks/shop/conf/app.ini", "[shop]\nrelease = 3\n")
		pushWeb(t, bed, "v3", false)
		res := r.berth(t, 8*time.Minute, 1, "apply", r.dir, "--yes", "--no-color")
		out := res.Stdout + res.Stderr
		if !strings.Contains(out, "unhealthy") {
			t.Errorf("the output does not say the container is unhealthy:\n%s", out)
		}
		if !strings.Contains(out, "web starting, key (sensitive)") {
			t.Errorf("the output does not show the failing container's log with its env values redacted:\n%s", out)
		}
		// Two replicas update one at a time (docs/stacks.md, "Updates without downtime"): the
		// first batch fails and is rolled back, the rollout stops, the other replica keeps the
		// version it had.
		rolledBack, kept := 0, 0
		for _, h := range bed.Hosts {
			line := summaryOf(res.Stdout, h.Name)
			switch {
			case strings.Contains(line, "failed") && strings.Contains(line, "stack.shop") && strings.Contains(line, "rolled back to the version deployed"):
				rolledBack++
			case strings.Contains(line, "not updated, it runs the version it had"):
				kept++
			default:
				t.Errorf("the summary says neither that %s was rolled back nor that it kept its version: %q\n%s", h.Name, line, res.Stdout)
			}
			if got := sha(t, h, "/srv/berth/shop/conf/app.ini"); got != ini[h.Name] {
				t.Errorf("%s: conf/app.ini was not restored", h.Name)
			}
			if got := hostOut(t, h, "docker", "image", "inspect", "--format", "{{.Id}}", r.web.Ref); got != running[h.Name] {
				t.Errorf("%s: %s points at %s after the rollback, want the previous %s", h.Name, r.web.Ref, got, running[h.Name])
			}
		}
		if rolledBack != 1 || kept != 1 {
			t.Errorf("%d host(s) rolled back and %d kept their version, want 1 and 1:\n%s", rolledBack, kept, res.Stdout)
		}
		r.served(t, "bonjour v2")
		checkShopData(t, bed)

		r.web = pushWeb(t, bed, "v4", true) // the fix
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		r.served(t, "bonjour v4")
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
		for _, h := range bed.Hosts {
			if got := hostOut(t, h, "cat", "/srv/berth/shop/conf/app.ini"); got != "[shop]\nrelease = 3" {
				t.Errorf("%s: conf/app.ini is %q after the fixed deploy", h.Name, got)
			}
		}
	})

	scenario("prune_images removes the image an update left dangling and keeps volumes", func(t *testing.T) {
		old := webImages(t, bed)
		for _, h := range bed.Hosts {
			hostOut(t, h, "docker", "volume", "create", "berth-e2e-unused")
		}
		r.setShop(t, "prune_images = true")
		r.web = pushWeb(t, bed, "v5", true)
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		r.served(t, "bonjour v5")
		for _, h := range bed.Hosts {
			if _, err := h.Exec(context.Background(), "docker", "image", "inspect", old[h.Name]); err == nil {
				t.Errorf("%s: the replaced image %s is still there", h.Name, old[h.Name])
			}
			if d := hostOut(t, h, "docker", "images", "-q", "--filter", "dangling=true"); d != "" {
				t.Errorf("%s: dangling images left: %s", h.Name, d)
			}
			if vs := hostOut(t, h, "docker", "volume", "ls", "-q"); !strings.Contains(vs, "berth-e2e-unused") || !strings.Contains(vs, "shop_data") {
				t.Errorf("%s: volumes after the prune: %s", h.Name, vs)
			}
		}
		checkShopData(t, bed)
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
	})

	scenario("images = ship delivers a local image to a host without registry, once", func(t *testing.T) {
		ref, id := r.localShipImage(t)
		restore := cutRegistry(t, h1)
		defer restore()
		if _, err := h1.Exec(context.Background(), "docker", "image", "inspect", ref); err == nil {
			t.Fatalf("h1 already has %s", ref)
		}
		r.setShip(t, ref)
		res := r.berth(t, 2*time.Minute, 2, "plan", r.dir, "--json")
		ships := opChanges(t, res.Stdout, "ship")
		if len(ships) != 1 || ships[0].Host != "h1" || !strings.Contains(ships[0].Address, ref) {
			t.Errorf("plan ships %+v, want %s to h1 only", ships, ref)
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--json")
		if got := hostOut(t, h1, "docker", "image", "inspect", "--format", "{{.Id}}", ref); got != id {
			t.Errorf("h1 has %s as %s, want the local %s", ref, got, id)
		}
		r.servedBy(t, "ship", h1, "shipped")
		res = r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--json")
		if ships := opChanges(t, res.Stdout, "ship"); len(ships) != 0 {
			t.Errorf("the second plan ships again: %+v", ships)
		}
		res = r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--json")
		if evs := events(res.Stdout, "change.started"); len(evs) != 0 {
			t.Errorf("the second apply changed something: %v", evs)
		}
	})

	scenario("removing the stacks stops their containers and keeps volumes and data", func(t *testing.T) {
		shipped := len(readLock(t, r.dir).Stacks["ship"].Replicas) > 0
		r.writeInv(t, "stacks.hcl", "# no stacks any more\n")
		os.Remove(filepath.Join(r.dir, "ship.hcl"))
		res := r.berth(t, 2*time.Minute, 2, "plan", r.dir, "--no-color")
		if n := strings.Count(res.Stdout, "- stack.shop"); n != 2 {
			t.Errorf("plan removes shop %d times, want once per host:\n%s", n, res.Stdout)
		}
		if shipped && !strings.Contains(res.Stdout, "- stack.ship") {
			t.Errorf("plan does not remove ship from h1:\n%s", res.Stdout)
		}
		if !strings.Contains(res.Stdout, "containers stopped and removed, volumes kept") {
			t.Errorf("the plan does not say volumes are kept:\n%s", res.Stdout)
		}
		r.berth(t, 5*time.Minute, 0, "apply", r.dir, "--yes", "--no-color")
		for _, h := range bed.Hosts {
			if out := hostOut(t, h, "docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=shop"); out != "" {
				t.Errorf("%s: shop containers left: %s", h.Name, out)
			}
			if out := hostOut(t, h, "docker", "ps", "-aq", "--filter", "label=com.docker.compose.project=ship"); out != "" {
				t.Errorf("%s: ship containers left: %s", h.Name, out)
			}
			for _, p := range []string{"/srv/berth/shop/docker-compose.yml", "/srv/berth/shop/.env", "/var/lib/berth/stacks/shop"} {
				if got := sha(t, h, p); got != "absent" {
					t.Errorf("%s: %s is still there", h.Name, p)
				}
			}
		}
		checkShopData(t, bed)
		if _, ok := readLock(t, r.dir).Stacks["shop"]; ok {
			t.Error("berth.lock.json still lists shop")
		}
		r.berth(t, 2*time.Minute, 0, "plan", r.dir, "--no-color")
	})

	scenario("the env canary appears in no output, on no command line and in no journal", func(t *testing.T) {
		r.checkNoCanary(t)
		checkJournals(t, bed.Hosts)
	})
	t.Logf("TestStack: %s", time.Since(start).Round(time.Millisecond))
}

// stackCompose is the shop: a web service serving its GREETING (from .env, substituted by
// compose) and its image's version, healthy only when its image has /healthy, logging its
// API_KEY (the canary: a rollback's log excerpt must redact it), with a named volume and a
// bind-mounted ./data; a worker reading the shipped .env itself (env_file: .env) and writing
// into the same volume; a config file.
const stackCompose = `services:
  web:
    image: IMAGE
    environment:
      GREETING: ${GREETING:?set GREETING in the env file}
      API_KEY: ${API_KEY:?set API_KEY in the env file}
    command: ["sh", "-c", "echo \"web starting, key $$API_KEY\"; mkdir -p /tmp/www && echo \"$$GREETING $$(cat /version)\" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
    volumes:
      - data:/data
      - ./data:/bind
      - ./conf/app.ini:/etc/shop/app.ini:ro
    healthcheck:
      test: ["CMD-SHELL", "test -f /healthy && wget -q -O /dev/null http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 2
    stop_grace_period: 1s
  worker:
    image: IMAGE
    env_file: .env
    command: ["sh", "-c", "while true; do date > /data/worker; sleep 5; done"]
    volumes:
      - data:/data
    depends_on:
      - web
    stop_grace_period: 1s
volumes:
  data: {}
`

const shopStack = `stack "shop" {
  compose  = "stacks/shop"
  env_file = "secrets/shop.env"
  replicas = 2
  EXTRA
  port "http" {
    service   = "web"
    container = 8080
  }
  health {
    timeout = "60s"
  }
}
`

// shipStack runs an image that exists only in the Docker engine of the machine running berth.
const shipStack = `stack "ship" {
  compose = "stacks/ship"
  images  = "ship"
  place {
    hosts = "h1"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "60s"
  }
}
`

const shipCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /tmp/www && cat /version > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /healthy"]
      interval: 1s
      retries: 2
    stop_grace_period: 1s
`

// stackRun is a relRun (the canary bookkeeping) on this test's bed, plus the image the shop
// runs now.
type stackRun struct {
	*relRun
	web testbed.Pushed
}

func newStackRun(t *testing.T, bed *testbed.Bed) *stackRun {
	t.Helper()
	r := &stackRun{relRun: &relRun{bed: bed, dir: t.TempDir(), env: engineEnv(t)}}
	if err := bed.WriteInventory(r.dir); err != nil {
		t.Fatal(err)
	}
	r.web = pushWeb(t, bed, "v1", true)
	image := bed.Registry.Address + "/shop-web:1"
	r.writeInv(t, "stacks/shop/compose.yaml", strings.ReplaceAll(stackCompose, "IMAGE", image))
	r.writeInv(t, "stacks/shop/conf/app.ini", "[shop]\nrelease = 1\n")
	r.setShop(t, "")
	r.setEnv(t, "hello", envCanary)
	r.scan = startCanaryScan(t, bed.Hosts)
	return r
}

// engineEnv points berth at the Docker engine this test (and the bed) talks to, whatever
// DOCKER_HOST or docker context says here: berth runs with a clean environment and its own
// HOME, and images = "ship" reads local images from that engine.
func engineEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("which Docker engine does this machine use? docker context inspect: %v", err)
	}
	return []string{"DOCKER_HOST=" + strings.TrimSpace(string(out))}
}

func (r *stackRun) setShop(t *testing.T, extra string) {
	t.Helper()
	r.writeInv(t, "stacks.hcl", strings.Replace(shopStack, "EXTRA", extra, 1))
}

func (r *stackRun) setEnv(t *testing.T, greeting, secret string) {
	t.Helper()
	r.writeInv(t, "secrets/shop.env", "GREETING="+greeting+"\nAPI_KEY="+secret+"\n")
}

func (r *stackRun) setShip(t *testing.T, ref string) {
	t.Helper()
	r.writeInv(t, "ship.hcl", shipStack)
	r.writeInv(t, "stacks/ship/compose.yaml", strings.ReplaceAll(shipCompose, "IMAGE", ref))
}

// pushWeb publishes the shop's image under the same tag: a new version, healthy or not.
func pushWeb(t *testing.T, bed *testbed.Bed, version string, healthy bool) testbed.Pushed {
	t.Helper()
	files := map[string]string{"/version": version + "\n"}
	if healthy {
		files["/healthy"] = "ok\n"
	}
	p, err := bed.PushImage(context.Background(), "shop-web:1", files)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// localShipImage builds an image that exists only in this machine's engine (its name points
// at no registry) and returns its name and ID.
func (r *stackRun) localShipImage(t *testing.T) (string, string) {
	t.Helper()
	p, err := r.bed.PushImage(context.Background(), "ship-web:1", map[string]string{"/version": "shipped\n", "/healthy": "ok\n"})
	if err != nil {
		t.Fatal(err)
	}
	pulled := r.bed.Registry.PushAddress + "/ship-web:1"
	ref := "berth-e2e/ship-" + r.bed.Prefix + ":1"
	for _, argv := range [][]string{{"pull", pulled}, {"tag", pulled, ref}, {"rmi", pulled}} {
		if out, err := exec.Command("docker", argv...).CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v: %s", argv, err, out)
		}
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", ref).Run() })
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local image %s: %s (pushed as %s for the build only)", ref, strings.TrimSpace(string(out)), p.Ref)
	return ref, strings.TrimSpace(string(out))
}

// cutRegistry makes registry.test unreachable from h (a dead address in /etc/hosts) and
// checks that a pull fails; the returned function puts /etc/hosts back.
func cutRegistry(t *testing.T, h *testbed.Host) func() {
	t.Helper()
	hostOut(t, h, "sh", "-c", "cp /etc/hosts /var/tmp/hosts.orig && grep -v registry.test /var/tmp/hosts.orig > /etc/hosts && echo '127.0.0.9 registry.test' >> /etc/hosts")
	if _, err := h.Exec(context.Background(), "docker", "pull", "registry.test:5000/th-busybox:1"); err == nil {
		t.Fatalf("%s still pulls from the registry", h.Name)
	}
	return func() { h.Exec(context.Background(), "sh", "-c", "cat /var/tmp/hosts.orig > /etc/hosts") }
}

// replicaHosts lists the hosts of the shop's replicas in the lock file, sorted.
func (r *stackRun) replicaHosts(t *testing.T) string {
	t.Helper()
	var hs []string
	for _, rep := range readLock(t, r.dir).Stacks["shop"].Replicas {
		hs = append(hs, rep.Host)
	}
	return strings.Join(sortStrings(hs), " ")
}

// served waits until every shop replica answers want.
func (r *stackRun) served(t *testing.T, want string) {
	t.Helper()
	for _, h := range r.bed.Hosts {
		r.servedBy(t, "shop", h, want)
	}
}

// servedBy waits until the replica of stack on h answers want on its http port.
func (r *stackRun) servedBy(t *testing.T, stack string, h *testbed.Host, want string) {
	t.Helper()
	for _, rep := range readLock(t, r.dir).Stacks[stack].Replicas {
		if rep.Host != h.Name {
			continue
		}
		url := fmt.Sprintf("http://%s:%d/", h.Address, rep.Ports["http"])
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, err := get(context.Background(), url)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on %s answers %q (%v), want %q", stack, h.Name, got, err, want)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	t.Fatalf("berth.lock.json has no %s replica on %s", stack, h.Name)
}
