package stack

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// A version whose healthcheck fails must be rolled back: previous files, previous image
// under its tag, previous containers healthy; the error names the container and shows its
// last log lines; the manifest still describes the previous version.
func TestRollbackOnUnhealthy(t *testing.T) {
	for _, gen := range []string{V1, V2} {
		t.Run(gen, func(t *testing.T) {
			s, _ := deployed(t, gen, nil)
			before := string(s.host.Files["/var/lib/berth/stacks/shop/manifest.json"].Data)
			oldWeb := s.images["registry.test:5000/web:1"]
			// A new image under the same tag whose healthcheck fails; the rollback's up
			// (the second up of this deploy) runs the old image again, healthy.
			s.registry["registry.test:5000/web:1"] = "sha256:" + strings.Repeat("f", 64)
			s.health["web"] = "unhealthy"
			s.logs = "panic: cannot connect API_KEY=" + canary + "\n"
			s.afterUp = func(n int) {
				if s.images["registry.test:5000/web:1"] == oldWeb {
					s.ctrs[0].State.Health.Status = "healthy"
				}
			}
			spec := testSpec(gen)
			spec.ConfigFiles["conf/app.ini"] = []byte("broken\n")
			err := deploy(t, newResource(spec), s.host)
			if err == nil {
				t.Fatal("deploy of an unhealthy version succeeded")
			}
			name := Compose{Generation: gen}.ContainerName("shop", "web", 1)
			for _, want := range []string{"container " + name + " is unhealthy", "last 20 log lines of " + name, "panic: cannot connect API_KEY=(sensitive)", "rolled back to the version deployed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("error leaks the secret: %v", err)
			}
			if s.images["registry.test:5000/web:1"] != oldWeb {
				t.Error("the tag still points at the failed image")
			}
			if got := string(s.host.Files["/var/lib/berth/stacks/shop/manifest.json"].Data); got != before {
				t.Error("the manifest changed although the deploy failed")
			}
			ran := strings.Join(s.host.Ran, "\n")
			for _, want := range []string{
				"cp -p -- /var/lib/berth/stacks/shop/previous/conf/app.ini /srv/berth/shop/conf/.berth-restore.app.ini && mv -f -- /srv/berth/shop/conf/.berth-restore.app.ini /srv/berth/shop/conf/app.ini",
				"docker tag " + oldWeb + " registry.test:5000/web:1",
			} {
				if !strings.Contains(ran, want) {
					t.Errorf("rollback did not run %q", want)
				}
			}
			if s.ups != 3 {
				t.Errorf("want 3 ups (first deploy, failed version, rollback), got %d", s.ups)
			}
			assertNoDataLoss(t, s.host.Ran)
		})
	}
}

// A first deploy that never turns healthy has nothing to roll back to: its containers are
// removed, volumes kept, and no manifest is written.
func TestFirstDeployFails(t *testing.T) {
	s := newSim(t, V2)
	s.exited["worker"] = true
	err := deploy(t, newResource(testSpec(V2)), s.host)
	if err == nil || !strings.Contains(err.Error(), "container shop-worker-1 exited (exit 1)") || !strings.Contains(err.Error(), "volumes kept") {
		t.Fatalf("got %v", err)
	}
	if _, ok := s.host.Files["/var/lib/berth/stacks/shop/manifest.json"]; ok {
		t.Fatal("manifest written for a failed first deploy")
	}
	assertNoDataLoss(t, s.host.Ran)
}

// Containers that stay "starting" fail the deploy when the health timeout is over (the fake
// clock advances by the poll interval on each sleep: no real time passes).
func TestHealthTimeout(t *testing.T) {
	s := newSim(t, V1)
	s.health["web"] = "starting"
	spec := testSpec(V1)
	spec.HealthTimeout = 5 * 1e9
	r := newResource(spec)
	err := deploy(t, r, s.host)
	if err == nil || !strings.Contains(err.Error(), "container shop_web_1 is still starting (healthcheck) after 5s") {
		t.Fatalf("got %v", err)
	}
	polls := strings.Count(strings.Join(s.host.Ran, "\n"), "docker ps -aq")
	if polls != 6+1 { // t=0..5s, plus the removal of the failed first deploy
		t.Fatalf("polled %d times, want 6", polls-1)
	}
}

// A container without healthcheck that crash-loops is seen "running" between restarts; its
// growing restart count keeps the deploy from declaring it ready.
func TestCrashLoopIsNotReady(t *testing.T) {
	s := newSim(t, V2)
	s.onInspect = func() {
		for i := range s.ctrs {
			if s.ctrs[i].service() == "worker" {
				s.ctrs[i].RestartCount++
			}
		}
	}
	spec := testSpec(V2)
	spec.HealthTimeout = 3 * 1e9
	err := deploy(t, newResource(spec), s.host)
	if err == nil || !strings.Contains(err.Error(), "containers without healthcheck keep restarting after 3s") {
		t.Fatalf("a crash-looping worker deployed: %v", err)
	}
}

func TestRemoval(t *testing.T) {
	s, _ := deployed(t, V2, nil)
	rm := Removal("shop", "/srv/berth/shop", "")
	res, _ := s.host.Observe(t.Context(), rm.Probes())
	changes := rm.Diff(res)
	if len(changes) != 1 || changes[0].Action != '-' || changes[0].After != "containers stopped and removed, volumes kept" {
		t.Fatalf("got %+v", changes)
	}
	s.host.Ran = nil
	if err := rm.Apply(t.Context(), s.host, changes[0]); err != nil {
		t.Fatal(err)
	}
	ran := strings.Join(s.host.Ran, "\n")
	for _, want := range []string{"docker stop $ids", "docker rm $ids", "docker network rm $nets",
		"rm -f -- /srv/berth/shop/.env /srv/berth/shop/berth.override.yml /srv/berth/shop/conf/app.ini /srv/berth/shop/docker-compose.yml",
		"rmdir -- /srv/berth/shop 2>/dev/null || true", "rm -rf -- /var/lib/berth/stacks/shop"} {
		if !strings.Contains(ran, want) {
			t.Errorf("removal did not run %q:\n%s", want, ran)
		}
	}
	assertNoDataLoss(t, s.host.Ran)
	s.ctrs = nil
	delete(s.host.Files, "/var/lib/berth/stacks/shop/manifest.json")
	res, _ = s.host.Observe(t.Context(), rm.Probes())
	if cs := rm.Diff(res); len(cs) != 0 {
		t.Fatalf("removed stack still plans %+v", cs)
	}
}

// assertNoDataLoss fails when a command could delete volumes or data.
func assertNoDataLoss(t *testing.T, ran []string) {
	t.Helper()
	for _, line := range ran {
		for _, bad := range []string{" down", "-v", "--volumes", "volume", "prune -a", "system prune", "rm -rf -- /srv"} {
			if strings.Contains(line, bad) {
				t.Errorf("command may lose data (%q): %s", bad, line)
			}
		}
	}
}

func manifestOf(t *testing.T, s *sim) Manifest {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(s.host.Files["/var/lib/berth/stacks/shop/manifest.json"].Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDeployed(t *testing.T) {
	s, _ := deployed(t, V2, nil)
	s.host.Reply("sh -c 'for f in \"$0\"/*/manifest.json", "/var/lib/berth/stacks/shop/manifest.json\n/var/lib/berth/stacks/billing/manifest.json\n", 0)
	res, _ := s.host.Observe(t.Context(), []modules.Probe{DeployedProbe()})
	if got := strings.Join(Deployed(res[0]), ","); got != "billing,shop" {
		t.Fatalf("got %q", got)
	}
	if got := Deployed(modules.ProbeResult{ExitCode: 1, Stderr: []byte("No such file or directory")}); len(got) != 0 {
		t.Fatalf("got %q", got)
	}
	// The probe itself, in a real shell, on a state directory of its own: a stack directory
	// without a manifest is not deployed, and no state directory at all is no stacks.
	root := t.TempDir()
	for _, d := range []string{"shop", "billing", "half"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "shop", ManifestName), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(root, "billing", ManifestName), []byte("{}"), 0o644)
	for dir, want := range map[string]string{root: "billing,shop", filepath.Join(root, "none"): ""} {
		argv := DeployedProbe().Argv
		out, err := exec.Command(argv[0], append(argv[1:len(argv)-1], dir)...).Output()
		if got := strings.Join(Deployed(modules.ProbeResult{Stdout: out}), ","); err != nil || got != want {
			t.Errorf("in %s: %q (%v), want %q", dir, got, err, want)
		}
	}
}

// A deploy whose files cannot all be written (the disk is full) has not run compose: the
// containers keep running untouched, the files the write did change are put back, and the
// error says so.
func TestFailedWriteTouchesNoContainer(t *testing.T) {
	s, _ := deployed(t, V2, nil)
	ups, before := s.ups, len(s.host.Ran)
	spec := testSpec(V2)
	spec.ConfigFiles["conf/extra.conf"] = []byte("new\n")
	s.host.WriteErr = func(w modules.FileWrite) error {
		if strings.HasSuffix(w.Path, "/.env") {
			return errors.New("write /srv/berth/shop/.env on app-1: no space left on device")
		}
		return nil
	}
	err := deploy(t, newResource(spec), s.host)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "the running containers were not touched") {
		t.Fatalf("deploy: %v", err)
	}
	if s.ups != ups {
		t.Errorf("compose up ran %d more times after a failed write", s.ups-ups)
	}
	ran := strings.Join(s.host.Ran[before:], "\n")
	for _, bad := range []string{"docker tag", " pull", " up "} {
		if strings.Contains(ran, bad) {
			t.Errorf("ran %q in a deploy whose write failed:\n%s", bad, ran)
		}
	}
	if !strings.Contains(ran, "rm -f -- /srv/berth/shop/conf/extra.conf") {
		t.Errorf("the file only the failed version had was not removed:\n%s", ran)
	}
}

// An interrupt that cancels the deploy during its health wait (a second Ctrl-C, the run's
// deadline) must not cancel the rollback too: it runs on its own bounded context and brings
// the previous version back. Before, it failed at once ("ROLLBACK FAILED: context canceled")
// and left the stack down.
func TestRollbackRunsAfterTheDeployWasCancelled(t *testing.T) {
	s, r := deployed(t, V2, nil)
	spec := testSpec(V2)
	spec.ConfigFiles["conf/app.ini"] = []byte("new\n")
	r = newResource(spec)
	ctx, cancel := context.WithCancel(context.Background())
	ups := s.ups
	s.afterUp = func(n int) {
		if n == ups+1 {
			cancel() // while the new version's containers come up
		}
	}
	cs := plan(t, r, s.host)
	err := r.Apply(ctx, s.host, cs[0])
	if err == nil || strings.Contains(err.Error(), "ROLLBACK FAILED") || !strings.Contains(err.Error(), "rolled back to the version deployed") {
		t.Fatalf("err = %v", err)
	}
	if s.ups != ups+2 {
		t.Errorf("%d ups, want 2 (the new version, then the previous one)", s.ups-ups)
	}
}

// A deploy that succeeded can be returned to the version it replaced, from the change alone:
// the previous files from previous/, the previous image under its tag, recreated, and the
// manifest describing the previous version again (the engine does it to the replicas of a
// rolling batch that turned healthy when another of the batch did not).
func TestReturnAfterASucceededDeploy(t *testing.T) {
	s, _ := deployed(t, V2, nil)
	old := manifestOf(t, s)
	oldWeb := s.images["registry.test:5000/web:1"]
	s.registry["registry.test:5000/web:1"] = "sha256:" + strings.Repeat("e", 64)
	spec := testSpec(V2)
	spec.ConfigFiles["conf/app.ini"] = []byte("new\n")
	r := newResource(spec)
	var dc modules.Change
	for _, c := range plan(t, r, s.host) {
		if err := r.Apply(context.Background(), s.host, c); err != nil {
			t.Fatal(err)
		}
		if c.Op == OpDeploy {
			dc = c
		}
	}
	if s.images["registry.test:5000/web:1"] == oldWeb || manifestOf(t, s).Hash == old.Hash {
		t.Fatal("the new version was not deployed")
	}
	ups := s.ups
	if err := r.Return(context.Background(), s.host, dc); err != nil {
		t.Fatalf("return: %v", err)
	}
	if s.images["registry.test:5000/web:1"] != oldWeb {
		t.Error("the tag still points at the new image")
	}
	if m := manifestOf(t, s); m.Hash != old.Hash || m.Images["registry.test:5000/web:1"] != oldWeb {
		t.Errorf("the manifest does not describe the previous version: hash %s, want %s", m.Hash, old.Hash)
	}
	if s.ups != ups+1 {
		t.Errorf("want one up to return, got %d", s.ups-ups)
	}
	ran := strings.Join(s.host.Ran, "\n")
	if want := "cp -p -- /var/lib/berth/stacks/shop/previous/conf/app.ini"; !strings.Contains(ran, want) {
		t.Errorf("return did not run %q", want)
	}
	assertNoDataLoss(t, s.host.Ran)
}
