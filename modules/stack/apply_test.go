package stack

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

func TestApplySequence(t *testing.T) {
	for _, gen := range []string{V1, V2} {
		t.Run(gen, func(t *testing.T) {
			s, r := deployed(t, gen, nil)
			spec := testSpec(gen)
			spec.Env = []byte("API_KEY=new-" + canary + "\n")
			s.host.Ran = nil
			if err := deploy(t, newResource(spec), s.host); err != nil {
				t.Fatal(err)
			}
			got := strings.Join(s.host.Ran, "\n")
			if want := wantSequence(gen); got != want {
				t.Fatalf("commands:\n%s\n\nwant:\n%s", got, want)
			}
			_ = r
		})
	}
}

// wantSequence is the exact command list of a second deploy (.env changed).
func wantSequence(gen string) string {
	compose := "docker compose"
	if gen == V1 {
		compose = "docker-compose"
	}
	vs := "/var/lib/berth/stacks/shop/versions"
	v := vs + "/20261122T020001Z-4f0a2bc76a80"
	project := compose + " -p shop --project-directory /srv/berth/shop -f /srv/berth/shop/docker-compose.yml -f /srv/berth/shop/berth.override.yml"
	return strings.Join([]string{
		"sh -c 'set -e\ninstall -d -m 0750 /srv/berth/shop\ninstall -d -m 0700 /var/lib/berth/stacks /var/lib/berth/stacks/shop'",
		"sh -c 'set -e\nrm -rf -- /var/lib/berth/stacks/shop/previous.new\ninstall -d -m 0700 /var/lib/berth/stacks/shop/previous.new\n" +
			"if [ -f /srv/berth/shop/.env ]; then mkdir -p /var/lib/berth/stacks/shop/previous.new && cp -p -- /srv/berth/shop/.env /var/lib/berth/stacks/shop/previous.new/.env; fi\n" +
			"if [ -f /srv/berth/shop/berth.override.yml ]; then mkdir -p /var/lib/berth/stacks/shop/previous.new && cp -p -- /srv/berth/shop/berth.override.yml /var/lib/berth/stacks/shop/previous.new/berth.override.yml; fi\n" +
			"if [ -f /srv/berth/shop/conf/app.ini ]; then mkdir -p /var/lib/berth/stacks/shop/previous.new/conf && cp -p -- /srv/berth/shop/conf/app.ini /var/lib/berth/stacks/shop/previous.new/conf/app.ini; fi\n" +
			"if [ -f /srv/berth/shop/docker-compose.yml ]; then mkdir -p /var/lib/berth/stacks/shop/previous.new && cp -p -- /srv/berth/shop/docker-compose.yml /var/lib/berth/stacks/shop/previous.new/docker-compose.yml; fi\n" +
			"rm -rf -- /var/lib/berth/stacks/shop/previous\nmv -- /var/lib/berth/stacks/shop/previous.new /var/lib/berth/stacks/shop/previous'",
		project + " pull",
		project + " up -d --force-recreate --remove-orphans",
		// worker has no healthcheck: ready must be seen twice with the same restart counts.
		`sh -c 'ids=$(docker ps -aq --filter label=com.docker.compose.project=shop) || exit $?; [ -z "$ids" ] || exec docker inspect $ids'`,
		`sh -c 'ids=$(docker ps -aq --filter label=com.docker.compose.project=shop) || exit $?; [ -z "$ids" ] || exec docker inspect $ids'`,
		"docker image inspect --format '{{.Id}}' registry.test:5000/web:1",
		"docker image inspect --format '{{.Id}}' registry.test:5000/worker:1",
		`sh -c 'ids=$(docker ps -aq --filter label=com.docker.compose.project=shop) || exit $?; [ -z "$ids" ] || exec docker inspect $ids'`,
		// the deployed version is kept for rollback and history, the oldest beyond 3 dropped
		"sh -c 'set -e\ninstall -d -m 0700 " + vs + "\nrm -rf -- " + v + ".new\ninstall -d -m 0700 " + v + ".new\n" +
			"mkdir -p " + v + ".new && cp -p -- /srv/berth/shop/.env " + v + ".new/.env\n" +
			"mkdir -p " + v + ".new && cp -p -- /srv/berth/shop/berth.override.yml " + v + ".new/berth.override.yml\n" +
			"mkdir -p " + v + ".new/conf && cp -p -- /srv/berth/shop/conf/app.ini " + v + ".new/conf/app.ini\n" +
			"mkdir -p " + v + ".new && cp -p -- /srv/berth/shop/docker-compose.yml " + v + ".new/docker-compose.yml\n" +
			"cp -p -- /var/lib/berth/stacks/shop/manifest.json " + v + ".new/manifest.json\n" +
			"rm -rf -- " + v + "\nmv -- " + v + ".new " + v + "\n" +
			"cd " + vs + ` && ls -1d */ 2>/dev/null | sort -r | tail -n +4 | while read -r d; do rm -rf -- "$d"; done'`,
	}, "\n")
}

func TestApplyWritesFilesAndManifest(t *testing.T) {
	s, _ := deployed(t, V1, nil)
	modes := map[string]uint32{}
	for _, w := range s.host.Written {
		modes[w.Path] = uint32(w.Mode)
	}
	want := map[string]uint32{
		"/srv/berth/shop/.env": 0o600, "/srv/berth/shop/docker-compose.yml": 0o644,
		"/srv/berth/shop/berth.override.yml": 0o644, "/srv/berth/shop/conf/app.ini": 0o644,
		"/var/lib/berth/stacks/shop/manifest.json": 0o600,
	}
	for p, m := range want {
		if modes[p] != m {
			t.Errorf("%s written with mode %04o, want %04o", p, modes[p], m)
		}
	}
	var m Manifest
	if err := json.Unmarshal(s.host.Files["/var/lib/berth/stacks/shop/manifest.json"].Data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Images["registry.test:5000/web:1"] != s.registry["registry.test:5000/web:1"] || m.Services["web"].ConfigHash == "" || m.Previous != nil {
		t.Fatalf("manifest: %+v", m)
	}
	if _, ok := m.Files[".env"]; ok {
		t.Fatal("manifest records the hash of .env alone")
	}
}

func TestOverrideFile(t *testing.T) {
	spec := testSpec(V1)
	spec.ComposeFile = []byte("version: \"3.8\" # pinned\nservices:\n  web:\n    image: x\n")
	got := string(overrideFile(spec))
	want := `# Generated by berth for stack shop: host ports and labels. Do not edit.
version: "3.8"
services:
  "web":
    labels:
      "dev.berth.stack": "shop"
      "dev.berth.replica": "1"
    ports:
      - "20001:8080/tcp"
  "worker":
    labels:
      "dev.berth.stack": "shop"
      "dev.berth.replica": "1"
`
	if got != want {
		t.Fatalf("override:\n%s\nwant:\n%s", got, want)
	}
}

func TestSecondManifestKeepsOnePrevious(t *testing.T) {
	s, _ := deployed(t, V2, nil)
	for i := 0; i < 2; i++ {
		spec := testSpec(V2)
		spec.ForceRecreate = true
		if err := deploy(t, newResource(spec), s.host); err != nil {
			t.Fatal(err)
		}
	}
	var m Manifest
	if err := json.Unmarshal(s.host.Files["/var/lib/berth/stacks/shop/manifest.json"].Data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Previous == nil || m.Previous.Previous != nil {
		t.Fatalf("want exactly one previous level, got %+v", m.Previous)
	}
}

func TestShip(t *testing.T) {
	s := newSim(t, V1)
	s.registry = map[string]string{} // the host cannot reach a registry
	spec := testSpec(V1)
	spec.Images = ImagesShip
	web, worker := "sha256:"+strings.Repeat("d", 64), "sha256:"+strings.Repeat("e", 64)
	spec.LocalImages = map[string]LocalImage{"registry.test:5000/web:1": {ID: web, Size: 4_200_000}, "registry.test:5000/worker:1": {ID: worker, Size: 1_000}}
	var saved []string
	spec.Save = func(_ context.Context, ref string) (io.ReadCloser, error) {
		saved = append(saved, ref)
		return nopCloser(ref), nil
	}
	s.host.Handle("docker load", func(_ []string, stdin []byte) modules.Result {
		ref := string(stdin)
		s.images[ref] = spec.LocalImages[ref].ID
		return modules.Result{Stdout: []byte("Loaded image: " + ref)}
	})
	r := newResource(spec)
	cs := plan(t, r, s.host)
	var lines []string
	for _, c := range cs {
		lines = append(lines, string(c.Action)+" "+c.Address+" "+c.Op+": "+c.Reason+" ["+c.Before+" -> "+c.After+"]")
	}
	want := "~ stack.shop.image.registry.test:5000/web:1 ship: host lacks image registry.test:5000/web:1 [(absent) -> sha256:dddddddddddd, 4.2 MB to transfer]\n" +
		"~ stack.shop.image.registry.test:5000/worker:1 ship: host lacks image registry.test:5000/worker:1 [(absent) -> sha256:eeeeeeeeeeee, 1.0 kB to transfer]\n" +
		"+ stack.shop deploy: not deployed on this host [ -> ship in /srv/berth/shop: 4 files, 446 B shipped (.env (sensitive), berth.override.yml, conf/app.ini, docker-compose.yml); images registry.test:5000/web:1, registry.test:5000/worker:1; ports http 20001->web:8080]"
	if got := strings.Join(lines, "\n"); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if err := deploy(t, r, s.host); err != nil {
		t.Fatal(err)
	}
	for _, line := range s.host.Ran {
		if strings.Contains(line, " pull") {
			t.Fatalf("a shipped stack ran %q", line)
		}
	}
	if len(saved) != 2 {
		t.Fatalf("saved %v", saved)
	}
	if cs := plan(t, r, s.host); len(cs) != 0 {
		t.Fatalf("second plan ships again: %+v", cs)
	}
}

func TestPruneIsOptIn(t *testing.T) {
	for _, prune := range []bool{false, true} {
		s := newSim(t, V2)
		s.host.Reply("docker image prune", "", 0)
		spec := testSpec(V2)
		spec.PruneImages = prune
		if err := deploy(t, newResource(spec), s.host); err != nil {
			t.Fatal(err)
		}
		ran := strings.Join(s.host.Ran, "\n")
		if got := strings.Contains(ran, "docker image prune -f"); got != prune {
			t.Fatalf("PruneImages=%v: ran prune %v", prune, got)
		}
	}
}

// An interrupted recreate leaves the old container renamed "<its short ID>_<name>", and up
// then fails on it. The plan names it, and the deploy removes it before up: one run
// converges (before, the first apply failed and only the next one converged).
func TestLeftoverOfAnInterruptedRecreateIsRemovedByTheNextDeploy(t *testing.T) {
	for _, gen := range []string{V1, V2} {
		t.Run(gen, func(t *testing.T) {
			s, r := deployed(t, gen, nil)
			left := s.ctrs[0]
			left.ID = strings.Repeat("f", 64)
			left.Name = "/" + left.ID[:12] + "_" + left.name()
			s.ctrs = append(s.ctrs, left)
			cs := plan(t, r, s.host)
			if len(cs) != 1 || cs[0].Action != modules.Replace || !strings.Contains(cs[0].Reason, "container "+left.name()+" was left by an interrupted recreate") {
				t.Fatalf("plan: %+v", cs)
			}
			if err := r.Apply(context.Background(), s.host, cs[0]); err != nil {
				t.Fatalf("deploy: %v", err)
			}
			if !slices.Contains(s.host.Ran, "docker rm -f -- "+left.ID) {
				t.Fatalf("the leftover was not removed: %q", s.host.Ran)
			}
			if cs := plan(t, r, s.host); len(cs) != 0 {
				t.Fatalf("not converged: %+v", cs)
			}
		})
	}
}

// A change carries what the plan observed; one without it (built by hand, or from another
// resource) is refused before anything runs on the host.
func TestApplyRefusesAChangeWithoutItsObservation(t *testing.T) {
	s := newSim(t, V2)
	r := newResource(testSpec(V2))
	err := r.Apply(context.Background(), s.host, modules.Change{Address: "stack.shop", Op: OpDeploy})
	if err == nil || !strings.Contains(err.Error(), "plan again") || len(s.host.Ran) != 0 {
		t.Fatalf("err = %v, ran %q", err, s.host.Ran)
	}
}
