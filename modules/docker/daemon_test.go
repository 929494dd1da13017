package docker

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

var settings = map[string]any{"log-driver": "syslog", "log-opts": map[string]any{"tag": "{{.Name}}"}, "live-restore": true}

func TestRenderIsSortedAndStable(t *testing.T) {
	got := string(Render(settings))
	want := "{\n  \"live-restore\": true,\n  \"log-driver\": \"syslog\",\n  \"log-opts\": {\n    \"tag\": \"{{.Name}}\"\n  }\n}\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDaemonDiff(t *testing.T) {
	d := NewDaemon(settings)
	for _, tc := range []struct {
		name, file, want string
		exists           bool
	}{
		{name: "missing", want: "+ /etc/docker/daemon.json is missing"},
		{name: "same settings, other formatting", exists: true, file: `{"log-opts":{"tag":"{{.Name}}"},"live-restore":true,"log-driver":"syslog"}`},
		{name: "hand edit", exists: true, file: `{"log-opts":{"tag":"x"},"live-restore":true,"log-driver":"syslog","debug":true}`,
			want: `~ settings differ: debug removed, log-opts.tag "x" -> "{{.Name}}"`},
		{name: "not json", exists: true, file: `{`, want: "~ /etc/docker/daemon.json is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := d.Diff([]modules.ProbeResult{{Exists: tc.exists, Data: []byte(tc.file)}})
			if tc.want == "" {
				if len(cs) != 0 {
					t.Fatalf("want no change, got %+v", cs)
				}
				return
			}
			if len(cs) != 1 {
				t.Fatalf("want one change, got %+v", cs)
			}
			if got := cs[0].Action.String() + " " + cs[0].Reason; !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// detaching takes jobs as the agent does: only their bytes, run with RunJob on itself.
type detaching struct {
	*hosttest.Fake
	jobs int
}

func (d *detaching) CanDetach() bool { return true }
func (d *detaching) Detach(ctx context.Context, j modules.Job) error {
	d.jobs++
	if j.Kind != JobKind {
		return errors.New("kind " + j.Kind)
	}
	return RunJob(ctx, d.Fake, j.Data)
}

func TestDaemonRollbackWhenDockerdDoesNotComeBack(t *testing.T) {
	for _, detach := range []bool{false, true} {
		daemonRollback(t, detach)
	}
}

// daemonRollback: from here, or handed to the host as a job (which must then do the same).
func daemonRollback(t *testing.T, detach bool) {
	h := hosttest.New("h1")
	h.SetFile(DaemonPath, `{"log-driver":"json-file"}`, 0o644)
	h.Reply("dockerd --validate", "", 0)
	h.Reply("rm -f", "", 0)
	restarts := 0
	h.Handle("systemctl restart docker", func([]string, []byte) modules.Result {
		restarts++
		if strings.Contains(string(h.Files[DaemonPath].Data), "bogus") {
			return modules.Result{ExitCode: 1, Stderr: []byte("Job for docker.service failed")}
		}
		return modules.Result{}
	})
	h.Reply("docker info", "20.10\n", 0)
	h.Reply("journalctl", "unable to configure the Docker daemon: bogus-option\n", 0)

	d := NewDaemon(map[string]any{"bogus-option": true})
	obs, _ := h.Observe(context.Background(), d.Probes())
	cs := d.Diff(obs)
	h.Files[DaemonPath].Data = []byte("changed after the plan") // apply restores what the plan saw
	var on modules.Host = h
	det := &detaching{Fake: h}
	if detach {
		on = det
	}
	err := d.Apply(context.Background(), on, cs[0])
	if detach && det.jobs != 1 {
		t.Fatalf("%d jobs, want the change handed to the host", det.jobs)
	}
	if err == nil || !strings.Contains(err.Error(), "previous /etc/docker/daemon.json was restored") {
		t.Fatalf("err = %v", err)
	}
	if got := string(h.Files[DaemonPath].Data); got != `{"log-driver":"json-file"}` {
		t.Fatalf("daemon.json after rollback: %s", got)
	}
	if restarts != 2 {
		t.Fatalf("restarts = %d, want 2 (new file, then the restored one)", restarts)
	}
}

func TestValidationFailureLeavesLiveFileAlone(t *testing.T) {
	h := hosttest.New("h1")
	h.SetFile(DaemonPath, `{}`, 0o644)
	h.Reply("rm -f", "", 0)
	h.Handle("dockerd --validate", func([]string, []byte) modules.Result {
		return modules.Result{ExitCode: 1, Stderr: []byte("unable to configure the Docker daemon with file: the following directives don't match any configuration option: bogus")}
	})
	d := NewDaemon(map[string]any{"bogus": 1})
	obs, _ := h.Observe(context.Background(), d.Probes())
	err := d.Apply(context.Background(), h, d.Diff(obs)[0])
	if err == nil || !strings.Contains(err.Error(), "live file was not touched") {
		t.Fatalf("err = %v", err)
	}
	if string(h.Files[DaemonPath].Data) != `{}` {
		t.Fatal("live daemon.json was replaced")
	}
	for _, c := range h.Ran {
		if strings.HasPrefix(c, "systemctl") {
			t.Fatalf("dockerd was restarted: %s", c)
		}
	}
}

func TestSourcesForDockerRepository(t *testing.T) {
	got := string(Sources(Platform{Distro: "debian", Codename: "bookworm", Arch: "amd64"}))
	for _, want := range []string{"URIs: https://download.docker.com/linux/debian\n", "Suites: bookworm\n", "Architectures: amd64\n", "Signed-By: /etc/apt/keyrings/docker.asc\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("sources lack %q:\n%s", want, got)
		}
	}
	script := KeyScript("ubuntu")
	if !strings.Contains(script, "https://download.docker.com/linux/ubuntu/gpg") || !strings.Contains(script, KeyFingerprint) {
		t.Errorf("key script:\n%s", script)
	}
	rs := Resources(Spec{Source: SourceDocker, Platform: Platform{Distro: "debian", Codename: "trixie", Arch: "arm64"}})
	var addrs []string
	for _, r := range rs {
		addrs = append(addrs, r.Address())
	}
	want := "package.docker-repo-tools docker.repository-key file./etc/apt/sources.list.d/docker.sources package.docker docker.daemon service.docker"
	if strings.Join(addrs, " ") != want {
		t.Errorf("resources: %s", strings.Join(addrs, " "))
	}
}

func TestDistroPackages(t *testing.T) {
	for _, tc := range []struct {
		p    Platform
		want string
	}{
		{Platform{Distro: "debian", Codename: "bookworm"}, "docker.io docker-compose"},
		{Platform{Distro: "debian", Codename: "trixie"}, "docker.io docker-compose docker-cli"},
		{Platform{Distro: "ubuntu", Codename: "noble"}, "docker.io docker-compose"},
	} {
		if got := strings.Join(DistroPackages(tc.p), " "); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.p, got, tc.want)
		}
	}
}
