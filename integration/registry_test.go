package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// A private registry through the berth binary: a stack whose image exists only in the bed's
// authenticated registry (htpasswd) deploys on two hosts of both compose generations on the
// first apply, because the host layer logs each host in before any stack pulls. The password
// reaches the hosts on stdin only: no process's command line, no journal, no output of berth
// holds it. A rotated password is drift; applying it before the registry knows it fails at the
// login, naming registry and host, and no container changes.

const (
	regPassword1 = "canary-reg-Pw1-Xk42-never-print"
	regPassword2 = "canary-reg-Pw2-Lt83-never-print"
)

const registryHCL = `
variable "registry_password" {
  type      = string
  sensitive = true
}

registry "registry.test:5001" {
  hosts    = "role=app"
  username = "deploy"
  password = var.registry_password
  ca_cert  = file("registry-ca.crt")
}

stack "private" {
  compose  = "stacks/private"
  replicas = 2
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "30s"
  }
}
`

const privateCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && cat /private.txt > /www/index.html && exec httpd -f -p 8080 -h /www"]
    expose:
      - "8080"
    labels:
      berth.test/rev: "REV"
    stop_grace_period: 1s
`

func TestPrivateRegistry(t *testing.T) {
	bed := startBed(t, "mixed-docker:2+registry")
	ctx := context.Background()
	reg, err := bed.StartAuthRegistry(ctx, "deploy", regPassword1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := reg.Push(ctx, regPassword1, "private/th-app:1", map[string]string{"/private.txt": "from the private registry\n"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(reg.CACert)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "registry-ca.crt"), string(ca))
	writeFile(t, filepath.Join(dir, "registry.hcl"), registryHCL)
	compose := func(rev string) {
		if err := os.MkdirAll(filepath.Join(dir, "stacks", "private"), 0o755); err != nil {
			t.Fatal(err)
		}
		c := strings.NewReplacer("IMAGE", img.Ref, "REV", rev).Replace(privateCompose)
		writeFile(t, filepath.Join(dir, "stacks", "private", "compose.yaml"), c)
	}
	compose("1")

	var outputs []string
	berth := func(pw string, timeout time.Duration, want int, args ...string) berthResult {
		t.Helper()
		r := runBerthEnv(t, timeout, []string{"BERTH_VAR_registry_password=" + pw}, args...)
		outputs = append(outputs, r.Stdout, r.Stderr)
		r.wantCode(t, want)
		return r
	}
	scans := watchCmdlines(ctx, t, bed.Hosts, regPassword1+"\n"+regPassword2)

	t.Run("the first apply logs the hosts in and pulls the private image on both", func(t *testing.T) {
		berth(regPassword1, 6*time.Minute, 0, "apply", dir, "--yes")
		lock := readLock(t, dir)
		if n := len(lock.Stacks["private"].Replicas); n != 2 {
			t.Fatalf("private has %d replicas, want 2", n)
		}
		for _, r := range lock.Stacks["private"].Replicas {
			if got := httpGet(t, bed.Host(r.Host).Address, r.Ports["http"]); got != "from the private registry" {
				t.Errorf("%s answers %q", r.Host, got)
			}
		}
		for _, h := range bed.Hosts {
			if got := hostOut(t, h, "stat", "-c", "%a %U", "/root/.docker/config.json"); got != "600 root" {
				t.Errorf("%s: /root/.docker/config.json is %s, want 600 root", h.Name, got)
			}
		}
	})

	t.Run("a second apply changes nothing", func(t *testing.T) {
		berth(regPassword1, 2*time.Minute, 0, "apply", dir, "--yes")
		berth(regPassword1, 2*time.Minute, 0, "plan", dir) // exit 0: nothing to do
		berth(regPassword1, 2*time.Minute, 0, "drift", dir)
	})

	containers := func() string {
		var ids []string
		for _, h := range bed.Hosts {
			ids = append(ids, h.Name+":"+hostOut(t, h, "sh", "-c", "docker ps -q --filter label=com.docker.compose.project=private | sort"))
		}
		return strings.Join(ids, " ")
	}

	t.Run("a rotated password is drift on every host", func(t *testing.T) {
		r := berth(regPassword2, 2*time.Minute, 2, "drift", dir)
		for _, h := range bed.Hosts {
			if !strings.Contains(r.Stdout, "registry.registry.test:5001") || !strings.Contains(r.Stdout, h.Name) {
				t.Errorf("drift does not name the registry on %s:\n%s", h.Name, r.Stdout)
			}
		}
		if !strings.Contains(r.Stdout, "the stored credentials differ") {
			t.Errorf("drift does not say why:\n%s", r.Stdout)
		}
	})

	t.Run("a password the registry refuses fails at the login, naming registry and host, before containers change", func(t *testing.T) {
		before := containers()
		compose("2") // a stack change that would recreate the containers
		r := berth(regPassword2, 3*time.Minute, 1, "apply", dir, "--yes")
		all := r.Stdout + r.Stderr
		for _, h := range bed.Hosts {
			if !strings.Contains(all, "log in to registry registry.test:5001 as deploy on "+h.Name) {
				t.Errorf("the failure does not name the registry and %s:\n%s", h.Name, all)
			}
		}
		if after := containers(); after != before {
			t.Errorf("containers changed after the failed login: %s -> %s", before, after)
		}
	})

	t.Run("once the registry has the new password, apply converges and the next is a no-op", func(t *testing.T) {
		if err := reg.SetPassword(ctx, regPassword2); err != nil {
			t.Fatal(err)
		}
		berth(regPassword2, 5*time.Minute, 0, "apply", dir, "--yes")
		berth(regPassword2, 2*time.Minute, 0, "plan", dir)
	})

	t.Run("the passwords appear in no output, command line or journal", func(t *testing.T) {
		for i, o := range outputs {
			for _, pw := range []string{regPassword1, regPassword2} {
				if strings.Contains(o, pw) {
					t.Errorf("berth output %d holds a password: %s", i, excerpt(o, pw))
				}
			}
		}
		if hits := scans(); hits != "" {
			t.Errorf("a password was on a command line on the hosts:\n%s", hits)
		}
		for _, h := range bed.Hosts {
			out := hostOut(t, h, "sh", "-c", "journalctl --no-pager -q | grep -aF -f /root/.scan-pattern | head -5; true")
			if out != "" {
				t.Errorf("%s: the journal holds a password:\n%s", h.Name, out)
			}
		}
	})
}

// watchCmdlines runs scanCmdlines on every host (patterns, one a line, in needles) and
// returns a function that stops them and joins their hits.
func watchCmdlines(ctx context.Context, t *testing.T, hosts []*testbed.Host, needles string) func() string {
	var stops []func() string
	for _, h := range hosts {
		stops = append(stops, scanCmdlines(ctx, t, h, needles))
	}
	var once sync.Once
	var hits string
	stop := func() string {
		once.Do(func() {
			for i, s := range stops {
				if o := s(); o != "" {
					hits += hosts[i].Name + ": " + o + "\n"
				}
			}
		})
		return hits
	}
	t.Cleanup(func() { stop() })
	return stop
}
