package facts

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/conn"
)

func TestFromResultsComposeVariant(t *testing.T) {
	ok := func(out string) modules.ProbeResult { return modules.ProbeResult{Stdout: []byte(out)} }
	missing := modules.ProbeResult{ExitCode: 127, Missing: true}
	for _, tc := range []struct {
		v2, v1 modules.ProbeResult
		want   Compose
	}{
		{ok("v2.26.1\n"), missing, Compose{"v2", "2.26.1"}},
		{modules.ProbeResult{ExitCode: 125}, ok("1.29.2\n"), Compose{"v1", "1.29.2"}},
		{missing, missing, Compose{}},
	} {
		r := make([]modules.ProbeResult, nProbes)
		r[pComposeV2], r[pComposeV1] = tc.v2, tc.v1
		if got := FromResults("h", r).Compose; got != tc.want {
			t.Errorf("compose %+v / %+v: got %+v, want %+v", tc.v2, tc.v1, got, tc.want)
		}
	}
}

func TestFromResultsDocker(t *testing.T) {
	r := make([]modules.ProbeResult, nProbes)
	r[pDocker] = modules.ProbeResult{Stdout: []byte("Docker version 26.1.5+dfsg1, build a72d7cd\n")}
	r[pDockerInfo] = modules.ProbeResult{ExitCode: 1, Stderr: []byte("Cannot connect to the Docker daemon")}
	r[pListen] = modules.ProbeResult{Stdout: []byte("0016\n"), ExitCode: 2, Stderr: []byte("awk: cannot open /proc/net/tcp6")}
	f := FromResults("h", r)
	if want := (Docker{Installed: true, Version: "26.1.5+dfsg1"}); f.Docker != want {
		t.Errorf("docker %+v, want %+v", f.Docker, want)
	}
	if !reflect.DeepEqual(f.Ports, []int{22}) {
		t.Errorf("ports with IPv6 off: %v", f.Ports)
	}
}

// TestGatherLocalIsOneRoundTrip runs the real probes on this machine.
func TestGatherLocalIsOneRoundTrip(t *testing.T) {
	h := conn.NewLocal("local", false)
	f, err := Gather(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.Stats().RoundTrips; n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	if f.CPUs < 1 || f.Memory.Total == 0 || f.Arch == "" || len(f.Mounts) == 0 {
		t.Errorf("facts incomplete: %+v", f)
	}
	if runtime.GOARCH == "amd64" && f.DebArch() != "amd64" {
		t.Errorf("DebArch %q on amd64", f.DebArch())
	}
}

func TestScopesObserveOnlyWhatTheyNeed(t *testing.T) {
	if p := Probes(ScopeNone); len(p) != 0 {
		t.Errorf("ScopeNone asks for %d probes", len(p))
	}
	base := Probes(ScopeBase)
	for _, p := range base {
		if len(p.Argv) > 0 && strings.HasPrefix(p.Argv[0], "docker") {
			t.Errorf("probe %q asked for in ScopeBase", p.Argv)
		}
	}
	if n := len(Probes(ScopeDocker)); n != len(base)+4 {
		t.Fatalf("ScopeDocker has %d probes, want %d", n, len(base)+4)
	}
	if f := FromResults("h", nil); f.Scope != ScopeNone || f.Host != "h" || f.OS != (OS{}) {
		t.Errorf("facts of no probes: %+v", f)
	}
	r := make([]modules.ProbeResult, len(base))
	r[pListen] = modules.ProbeResult{Stdout: []byte("0016\n")}
	f := FromResults("h", r)
	if f.Scope != ScopeBase || f.Docker != (Docker{}) || f.Compose != (Compose{}) || !reflect.DeepEqual(f.Ports, []int{22}) {
		t.Errorf("base facts: %+v", f)
	}
}

// The one docker info reads the server version and the swarm membership: a manager of an
// active swarm, a worker, a daemon outside any swarm, an older answer of the version alone.
func TestFromResultsDockerSwarm(t *testing.T) {
	for out, want := range map[string]Docker{
		"20.10.24+dfsg1 active true\n": {Installed: true, Running: true, Server: "20.10.24+dfsg1", Swarm: "active", SwarmManager: true},
		"26.1.5 active false\n":        {Installed: true, Running: true, Server: "26.1.5", Swarm: "active"},
		"26.1.5 inactive false\n":      {Installed: true, Running: true, Server: "26.1.5", Swarm: "inactive"},
		"20.10.24\n":                   {Installed: true, Running: true, Server: "20.10.24"},
	} {
		r := make([]modules.ProbeResult, nProbes)
		r[pDocker] = modules.ProbeResult{Stdout: []byte("Docker version 26.1.5+dfsg1, build a72d7cd\n")}
		r[pDockerInfo] = modules.ProbeResult{Stdout: []byte(out)}
		want.Version = "26.1.5+dfsg1"
		if got := FromResults("h", r).Docker; got != want {
			t.Errorf("%q: %+v, want %+v", out, got, want)
		}
	}
}
