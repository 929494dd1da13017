package apt

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

func TestInstalledOnlyCountsFullyInstalled(t *testing.T) {
	got := Installed([]byte("docker.io\tii \t20.10.24\nrsyslog\trc \t8.2\nlibc6:amd64\tii \t2.36\n"))
	if len(got) != 2 || got["docker.io"] != "20.10.24" || got["libc6"] != "2.36" {
		t.Fatalf("got %v", got)
	}
}

func TestDiffAndApply(t *testing.T) {
	r := New(Spec{Name: "docker", Names: []string{"docker.io", "docker-compose"}})
	cs := r.Diff([]modules.ProbeResult{{Stdout: []byte("docker.io\tii \t20.10\n"), ExitCode: 1}})
	if len(cs) != 1 || cs[0].Op != "install" || cs[0].After != "docker-compose" {
		t.Fatalf("changes: %+v", cs)
	}
	h := hosttest.New("h1")
	h.Reply("env", "", 0)
	if err := r.Apply(context.Background(), h, cs[0]); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold update -q",
		"env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends -- docker-compose",
	}
	if strings.Join(h.Ran, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ran:\n%s", strings.Join(h.Ran, "\n"))
	}
	if got := r.Diff([]modules.ProbeResult{{Stdout: []byte("docker.io\tii \t1\ndocker-compose\tii \t1\n")}}); len(got) != 0 {
		t.Fatalf("installed set still diffs: %+v", got)
	}
}

func TestLockTimeoutErrorNamesHolder(t *testing.T) {
	h := hosttest.New("h1")
	h.Reply("env", "", 0)
	h.Handle("env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -o Acquire::Retries=3 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install", func([]string, []byte) modules.Result {
		return modules.Result{ExitCode: 100, Stderr: []byte("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)")}
	})
	h.Reply("sh -c", "process 77 (python3 -)\n", 0)
	r := New(Spec{Name: "x", Names: []string{"x"}})
	err := r.Apply(context.Background(), h, modules.Change{Op: "install", After: "x"})
	if err == nil || !strings.Contains(err.Error(), "held by process 4242 (apt-get)") || !strings.Contains(err.Error(), "h1") ||
		!strings.Contains(err.Error(), "the dpkg lock is held by process 77 (python3 -)") {
		t.Fatalf("err = %v", err)
	}
}

func TestPinnedVersion(t *testing.T) {
	r := New(Spec{Name: "tools", Names: []string{"htop=3.2.2-2", "jq"}})
	if argv := r.Probes()[0].Argv; strings.Join(argv[5:], " ") != "htop jq" {
		t.Fatalf("probe names: %q", argv[5:])
	}
	cs := r.Diff([]modules.ProbeResult{{Stdout: []byte("htop\tii \t3.0.5-7\njq\tii \t1.6\n")}})
	if len(cs) != 1 || cs[0].After != "htop=3.2.2-2" {
		t.Fatalf("changes: %+v", cs)
	}
	if cs := r.Diff([]modules.ProbeResult{{Stdout: []byte("htop\tii \t3.2.2-2\njq\tii \t1.6\n")}}); len(cs) != 0 {
		t.Fatalf("pinned and installed still diffs: %+v", cs)
	}
}
