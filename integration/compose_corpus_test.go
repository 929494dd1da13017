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

// Real compose projects as they are, through the berth binary, on a Debian 12 host (h1,
// docker-compose 1.29) and a Debian 13 host (h2, compose 2.26): projects of the corpus
// (provisioner/testdata/corpus) deployed unchanged but for their image, answering on the host
// ports berth.lock.json lists, each published once; two stacks publishing 80:80 placed apart;
// a compose file with a top-level name: refused by the plan on the v1 host and nothing changed.

// corpusOnBed are the corpus projects deployed, by stack name.
var corpusOnBed = map[string]string{
	"webdb":   "01-web-db",
	"proxy":   "02-reverse-proxy",
	"proxy2":  "02-reverse-proxy", // publishes 80:80 too: must land on the other host
	"build":   "03-build",
	"profile": "04-profiles",
	"ignore":  "18-berthignore",
}

func TestComposeCorpusOnBed(t *testing.T) {
	bed := startBed(t, "mixed-docker:2+registry")
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	dir := filepath.Join(t.TempDir(), "inv")
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	// The build's base image, in the local engine under a name it can pull from.
	base := strings.Replace(bed.Registry.Image, "registry.test:5000", bed.Registry.PushAddress, 1)
	if out, err := exec.Command("docker", "pull", base).CombinedOutput(); err != nil {
		t.Fatalf("docker pull %s: %v: %s", base, err, out)
	}
	var main strings.Builder
	for _, name := range sortStrings(keys(corpusOnBed)) {
		copyCorpus(t, corpusOnBed[name], filepath.Join(dir, "stacks", name), bed.Registry.Image, base)
		extra := ""
		if name == "profile" {
			extra = "  profiles = [\"workers\"]\n" // as the corpus project's stack: worker runs, debug does not
		}
		fmt.Fprintf(&main, "stack %q {\n  compose = \"stacks/%s\"\n%s  health {\n    timeout = \"90s\"\n  }\n}\n\n", name, name, extra)
	}
	writeFile(t, filepath.Join(dir, "main.hcl"), main.String())
	mergeDefaults(t, dir)

	t.Run("the projects deploy as they are and answer on the ports the lock file lists, once each", func(t *testing.T) {
		res := runBerth(t, 15*time.Minute, "apply", dir, "--yes", "--no-color")
		res.wantCode(t, 0)
		t.Logf("apply:\n%s", res.Stdout)
		lock := readLock(t, dir)
		for _, name := range []string{"webdb", "proxy", "proxy2", "build", "profile"} {
			ls := lock.Stacks[name]
			if len(ls.Replicas) != 1 {
				t.Fatalf("stack %s: %d replicas in the lock file", name, len(ls.Replicas))
			}
			r := ls.Replicas[0]
			h := bed.Host(r.Host)
			for port, hostPort := range r.Ports {
				if port == "proxy-443" {
					continue // published, nothing listens in the container
				}
				if got, err := get(context.Background(), fmt.Sprintf("http://%s:%d/", h.Address, hostPort)); err != nil || strings.TrimSpace(got) == "" {
					t.Errorf("stack %s port %s: nothing answers on %s:%d: %q, %v", name, port, h.Name, hostPort, got, err)
				}
			}
			pub := hostOut(t, h, "sh", "-c", "docker ps --filter label=com.docker.compose.project="+name+" --format '{{.Ports}}'")
			for port, hostPort := range r.Ports {
				if n := strings.Count(pub, fmt.Sprintf(":%d->", hostPort)); n != 1 {
					t.Errorf("stack %s port %s: host port %d published %d times on %s: %s", name, port, hostPort, n, h.Name, pub)
				}
			}
			if strings.Count(pub, "->") != len(r.Ports) {
				t.Errorf("stack %s on %s publishes %q, want exactly the %d ports of the lock file %v", name, h.Name, pub, len(r.Ports), r.Ports)
			}
		}
		if lock.Stacks["proxy"].Replicas[0].Host == lock.Stacks["proxy2"].Replicas[0].Host {
			t.Errorf("proxy and proxy2 both publish 80:80 and were placed on the same host")
		}
		// The build was built here and shipped: the host runs the image of the Dockerfile.
		b := lock.Stacks["build"].Replicas[0]
		if got, err := get(context.Background(), fmt.Sprintf("http://%s:%d/", bed.Host(b.Host).Address, b.Ports["api-8080"])); !strings.Contains(got, "built api") {
			t.Errorf("build: the host serves %q (%v), want the Dockerfile's page", got, err)
		}
		// .berthignore and the build context decide what is shipped.
		ig := bed.Host(lock.Stacks["ignore"].Replicas[0].Host)
		if got := hostOut(t, ig, "sh", "-c", "cd /srv/berth/ignore && find . -type f | sort | tr '\\n' ' '"); strings.Contains(got, "README.md") || strings.Contains(got, "node_modules") || !strings.Contains(got, "KEEP.md") {
			t.Errorf("ignore: shipped %s", got)
		}
		bd := bed.Host(b.Host)
		if got := hostOut(t, bd, "sh", "-c", "ls -R /srv/berth/build"); strings.Contains(got, "api") {
			t.Errorf("build: the build context was shipped: %s", got)
		}
		// Profiles: the inactive service does not run.
		pr := bed.Host(lock.Stacks["profile"].Replicas[0].Host)
		if got := hostOut(t, pr, "sh", "-c", "docker ps --filter label=com.docker.compose.project=profile --format '{{.Label \"com.docker.compose.service\"}}' | sort | tr '\\n' ' '"); strings.TrimSpace(got) != "web worker" {
			t.Errorf("profile: services running %q, want web worker", got)
		}
		runBerth(t, 5*time.Minute, "plan", dir, "--no-color").wantCode(t, 0)
	})

	t.Run("a top-level name: on the Debian 12 host: plan exits 1 naming host, file and reason; nothing changed", func(t *testing.T) {
		nd := filepath.Join(t.TempDir(), "inv")
		if err := bed.WriteInventory(nd); err != nil {
			t.Fatal(err)
		}
		copyCorpus(t, "11-compose-name", filepath.Join(nd, "stacks", "named"), bed.Registry.Image, base)
		for _, h := range []*testbed.Host{h1, h2} {
			writeFile(t, filepath.Join(nd, "main.hcl"), fmt.Sprintf("stack \"named\" {\n  compose = \"stacks/named\"\n  place {\n    hosts = %q\n  }\n}\n", h.Name))
			os.Remove(filepath.Join(nd, "berth.lock.json"))
			res := runBerth(t, 5*time.Minute, "plan", nd, "--no-color")
			out := res.Stdout + res.Stderr
			if h == h2 {
				res.wantCode(t, 2) // compose v2 reads it
				continue
			}
			res.wantCode(t, 1)
			for _, want := range []string{h1.Name, "stacks/named/compose.yaml:1", "name"} {
				if !strings.Contains(out, want) {
					t.Errorf("the plan's refusal does not name %q:\n%s", want, out)
				}
			}
			t.Logf("plan on %s (%s):\n%s", h.Name, h.Release, out)
		}
		for _, h := range bed.Hosts {
			if got := hostOut(t, h, "sh", "-c", "ls /srv/berth/named /var/lib/berth/stacks/named 2>/dev/null | wc -l; docker ps -aq --filter label=com.docker.compose.project=named | wc -l"); strings.Join(strings.Fields(got), " ") != "0 0" {
				t.Errorf("%s: the refused plan left files or containers: %q", h.Name, got)
			}
		}
	})
}

// copyCorpus copies a corpus project's stack directory, with the bed's image for the corpus's
// and the local name of the same image in Dockerfiles.
func copyCorpus(t *testing.T, project, dst, image, base string) {
	t.Helper()
	src := filepath.Join("..", "provisioner", "testdata", "corpus", project, "stack")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		repl := image
		if filepath.Base(p) == "Dockerfile" {
			repl = base
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), strings.ReplaceAll(string(b), "registry.test:5000/busybox:1", repl))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mergeDefaults puts the port range into the bed's defaults block (one defaults block only).
func mergeDefaults(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "hosts.hcl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, strings.Replace(string(b), "defaults {\n", "defaults {\n  port_range = \"20000-20999\"\n", 1))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
