package stack

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// deployed returns a sim on which the stack is deployed and healthy, and its resource.
func deployed(t *testing.T, gen string, edit func(*Spec)) (*sim, *Resource) {
	t.Helper()
	s := newSim(t, gen)
	spec := testSpec(gen)
	if edit != nil {
		edit(&spec)
	}
	r := newResource(spec)
	if err := deploy(t, r, s.host); err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	return s, r
}

func TestDiff(t *testing.T) {
	newer := "sha256:" + strings.Repeat("c", 64)
	cases := []struct {
		name   string
		spec   func(*Spec)    // desired state, after the first deploy
		host   func(*sim)     // drift on the host
		action modules.Action // 0: no change
		reason string         // exact reason
	}{
		{name: "no change"},
		{name: "env changed", spec: func(s *Spec) { s.Env = []byte("API_KEY=other-" + canary + "\n") },
			action: modules.Update, reason: ".env changed (sensitive)"},
		{name: "config file changed", spec: func(s *Spec) { s.ConfigFiles["conf/app.ini"] = []byte("port=9090\n") },
			action: modules.Update, reason: "conf/app.ini changed"},
		{name: "config file removed", spec: func(s *Spec) { delete(s.ConfigFiles, "conf/app.ini") },
			action: modules.Update, reason: "conf/app.ini no longer in the stack"},
		{name: "port moved", spec: func(s *Spec) { s.Ports["http"] = PublishedPort{Service: "web", Container: 8080, Host: 20002} },
			action: modules.Update, reason: "berth.override.yml changed"},
		{name: "file edited on host", host: func(s *sim) { s.host.SetFile("/srv/berth/shop/docker-compose.yml", "services: {}\n", 0o644) },
			action: modules.Update, reason: "docker-compose.yml changed"},
		{name: "env mode loosened", host: func(s *sim) { s.host.Files["/srv/berth/shop/.env"].Mode = 0o644 },
			action: modules.Update, reason: ".env mode 0644, want 0600"},
		{name: "container stopped", host: func(s *sim) { s.ctrs[1].State.Status, s.ctrs[1].State.ExitCode = "exited", 137 },
			action: modules.Replace, reason: "container shop-worker-1 is exited (exit 137)"},
		{name: "container missing", host: func(s *sim) { s.ctrs = s.ctrs[:1] },
			action: modules.Replace, reason: "service worker: 1 of 1 container(s) missing"},
		{name: "container unhealthy", host: func(s *sim) { s.ctrs[0].State.Health.Status = "unhealthy" },
			action: modules.Replace, reason: "container shop-web-1 is unhealthy"},
		{name: "other config", host: func(s *sim) { s.ctrs[0].Config.Labels["com.docker.compose.config-hash"] = "hand-made" },
			action: modules.Replace, reason: "container shop-web-1 runs another configuration than deployed"},
		{name: "orphan", host: func(s *sim) {
			c := s.ctrs[0]
			c.Name, c.Config.Labels = "/shop-old-1", map[string]string{"com.docker.compose.service": "old"}
			s.ctrs = append(s.ctrs, c)
		}, action: modules.Replace, reason: `orphan container shop-old-1 (service "old" is not in the stack)`},
		{name: "newer image in registry", host: func(s *sim) { s.registry["registry.test:5000/web:1"] = newer },
			action: modules.Replace, reason: "registry has a newer registry.test:5000/web:1 (sha256:cccccccccccc, host has sha256:aaaaaaaaaaaa)"},
		{name: "image moved on host", host: func(s *sim) { s.images["registry.test:5000/web:1"] = newer },
			action: modules.Replace, reason: "image registry.test:5000/web:1 on host is sha256:cccccccccccc, deployed sha256:aaaaaaaaaaaa"},
		{name: "image deleted on host", host: func(s *sim) { delete(s.images, "registry.test:5000/worker:1") },
			action: modules.Replace, reason: "image registry.test:5000/worker:1 missing on host"},
		{name: "registry unreachable is no change", host: func(s *sim) { s.registry = map[string]string{} }},
		{name: "force recreate", spec: func(s *Spec) { s.ForceRecreate = true },
			action: modules.Replace, reason: "recreate forced"},
		{name: "manifest lost", host: func(s *sim) { delete(s.host.Files, "/var/lib/berth/stacks/shop/manifest.json") },
			action: modules.Create, reason: "not deployed on this host; 2 existing container(s) of project shop will be recreated"},
	}
	for _, gen := range []string{V1, V2} {
		for _, tc := range cases {
			t.Run(gen+"/"+tc.name, func(t *testing.T) {
				s, _ := deployed(t, gen, nil)
				spec := testSpec(gen)
				if tc.spec != nil {
					tc.spec(&spec)
				}
				if tc.host != nil {
					tc.host(s)
				}
				if gen == V1 { // v1 names containers shop_svc_1
					tc.reason = strings.NewReplacer("shop-web-1", "shop_web_1", "shop-worker-1", "shop_worker_1", "shop-old-1", "shop-old-1").Replace(tc.reason)
				}
				got := plan(t, newResource(spec), s.host)
				if tc.action == 0 {
					if len(got) != 0 {
						t.Fatalf("want no change, got %+v", got)
					}
					return
				}
				if len(got) != 1 || got[0].Action != tc.action || got[0].Reason != tc.reason {
					t.Fatalf("want one %s change %q, got %+v", tc.action, tc.reason, got)
				}
			})
		}
	}
}

func TestDiffFirstDeploy(t *testing.T) {
	s := newSim(t, V2)
	got := plan(t, newResource(testSpec(V2)), s.host)
	if len(got) != 1 || got[0].Action != modules.Create || got[0].Reason != "not deployed on this host" || got[0].Op != OpDeploy {
		t.Fatalf("got %+v", got)
	}
	want := "pull in /srv/berth/shop: 4 files, 446 B shipped (.env (sensitive), berth.override.yml, conf/app.ini, docker-compose.yml); images registry.test:5000/web:1, registry.test:5000/worker:1; ports http 20001->web:8080"
	if got[0].After != want {
		t.Fatalf("After:\n got %s\nwant %s", got[0].After, want)
	}
}
