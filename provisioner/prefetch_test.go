package provisioner

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// mapHints is Hints in memory.
type mapHints struct {
	mu sync.Mutex
	m  map[string]*facts.Facts
}

func (h *mapHints) Facts(host string) *facts.Facts {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.m[host]; f != nil {
		c := *f
		return &c
	}
	return nil
}

func (h *mapHints) Learn(f *facts.Facts) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[f.Host] = f
}

func (h *mapHints) Save() error { return nil }

// batchLog records the probes of every Observe call of a host; fail makes a batch holding
// that path fail, as an unreadable file fails a batch on a real host.
type batchLog struct {
	Conn
	mu      sync.Mutex
	batches [][]string
	fail    string
}

func (b *batchLog) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	var keys []string
	for _, p := range probes {
		k := p.Path
		if k == "" {
			k = strings.Join(p.Argv, " ")
		}
		keys = append(keys, k)
		if b.fail != "" && p.Path == b.fail {
			b.mu.Lock()
			b.batches = append(b.batches, keys)
			b.mu.Unlock()
			return nil, errors.New("cannot stat " + p.Path + ": permission denied")
		}
	}
	b.mu.Lock()
	b.batches = append(b.batches, keys)
	b.mu.Unlock()
	return b.Conn.Observe(ctx, probes)
}

// composeCheck probes with the host's compose command, as a stack's compose check does:
// which probe it sends depends on the first look's facts.
type composeCheck struct{ argv []string }

func (c *composeCheck) Address() string { return "check.compose" }
func (c *composeCheck) Probes() []modules.Probe {
	return []modules.Probe{modules.CmdProbe(append(append([]string{}, c.argv...), "config", "-q")...)}
}
func (c *composeCheck) Diff(r []modules.ProbeResult) []modules.Change {
	if r[0].ExitCode != 0 {
		return []modules.Change{{Address: c.Address(), Action: modules.Update, Op: "fix"}}
	}
	return nil
}
func (c *composeCheck) Apply(context.Context, modules.Host, modules.Change) error { return nil }

// prefetchEngine plans host a: a Docker host (facts in scope) with /etc/motd and the
// compose check; its compose is v2 when v2 is set, else v1.
func prefetchEngine(v2 bool, hints Hints) (*Engine, *batchLog) {
	f := newDebianHost("a")
	f.SetFile("/etc/motd", "hi\n", 0o644)
	f.Handle("docker", func(argv []string, _ []byte) modules.Result {
		if argv[1] == "compose" && v2 {
			return modules.Result{Stdout: []byte("2.26.1\n")}
		}
		if argv[1] == "compose" {
			return modules.Result{ExitCode: 125, Stderr: []byte("docker: 'compose' is not a docker command.\n")}
		}
		return modules.Result{Stdout: []byte("Docker version 26.1.5, build x\n")}
	})
	f.Handle("docker-compose", func(argv []string, _ []byte) modules.Result {
		if v2 {
			return modules.Result{ExitCode: 127}
		}
		return modules.Result{Stdout: []byte("1.29.2\n")}
	})
	log := &batchLog{Conn: f}
	h := &inventory.Host{Name: "a", Address: "a", Docker: &inventory.Docker{Source: "distro"}}
	e := testEngine(&inventory.Inventory{Hosts: []*inventory.Host{h}}, nil)
	e.Dial = func(context.Context, *inventory.Host) (Conn, error) { return log, nil }
	e.Hints = hints
	e.Build = func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		rs := HostLayer(inv, &inventory.Host{Name: h.Name, Files: []*inventory.File{{Path: "/etc/motd", Content: []byte("hello\n"), Mode: 0o644}}}, f)
		if argv := f.ComposeCommand(); argv != nil {
			rs = append(rs, &composeCheck{argv: argv})
		}
		return rs, nil
	}
	return e, log
}

func changes(s *Session) string {
	var out []string
	for _, c := range s.Plan.Host("a").Changes {
		out = append(out, c.Address+" "+c.Op)
	}
	return strings.Join(out, ", ")
}

// A read-only plan whose facts came out as an earlier run saw them is one round trip: the
// resources' probes, built from the hints, went with facts, lock and deployed stacks.
func TestAPlanPredictedRightIsOneRoundTrip(t *testing.T) {
	hints := &mapHints{m: map[string]*facts.Facts{}}
	e, log := prefetchEngine(true, hints)
	first := e.Plan(context.Background(), []string{"a"}, true)
	if len(log.batches) != 2 {
		t.Fatalf("a first run without hints: %d round trips, want 2 (%q)", len(log.batches), log.batches)
	}
	if got := log.batches[1]; !reflect.DeepEqual(got, []string{"docker compose config -q"}) {
		t.Errorf("the second round trip asked %q, want only the probe the prediction missed", got)
	}
	if hints.m["a"] == nil || hints.m["a"].Compose.Variant != "v2" {
		t.Fatalf("hints learned %+v", hints.m["a"])
	}
	e2, log2 := prefetchEngine(true, hints)
	second := e2.Plan(context.Background(), []string{"a"}, true)
	if len(log2.batches) != 1 {
		t.Fatalf("with the hints of the first run: %d round trips, want 1 (%q)", len(log2.batches), log2.batches)
	}
	if a, b := changes(first), changes(second); a != b || a != "file./etc/motd write" {
		t.Errorf("plans differ or are wrong: %q then %q", a, b)
	}
}

// A prediction that no longer holds (compose changed generation since the hints were
// learned) costs the second round trip, for the missing probes only, and the plan is the
// host's as it is now.
func TestAWrongPredictionAsksAgainNeverPlansFromIt(t *testing.T) {
	hints := &mapHints{m: map[string]*facts.Facts{"a": {Host: "a", Compose: facts.Compose{Variant: "v1", Version: "1.29.2"}}}}
	e, log := prefetchEngine(true, hints)
	s := e.Plan(context.Background(), []string{"a"}, true)
	if len(log.batches) != 2 || !reflect.DeepEqual(log.batches[1], []string{"docker compose config -q"}) {
		t.Fatalf("round trips %q; want the first look, then only `docker compose config -q`", log.batches)
	}
	if !strings.Contains(strings.Join(log.batches[0], "|"), "docker-compose config -q") {
		t.Errorf("the first look did not carry the predicted probe: %q", log.batches[0])
	}
	if got := changes(s); got != "file./etc/motd write" {
		t.Errorf("plan %q", got)
	}
	if hints.m["a"].Compose.Variant != "v2" {
		t.Errorf("hints not updated: %+v", hints.m["a"].Compose)
	}
}

// A probe ahead of need that fails its batch (here a path the real resources no longer
// have) must not fail the host: the first look is asked again without the probes ahead.
func TestAFailingProbeAheadDoesNotFailTheHost(t *testing.T) {
	e, log := prefetchEngine(true, nil)
	build := e.Build
	calls := 0
	e.Build = func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		rs, err := build(inv, h, f, a)
		if calls++; calls == 1 { // the prediction: a file the real build does not have
			rs = append(rs, HostLayer(inv, &inventory.Host{Name: "a", Files: []*inventory.File{{Path: "/secret/x", Mode: 0o600}}}, f)...)
		}
		return rs, err
	}
	log.fail = "/secret/x"
	s := e.Plan(context.Background(), []string{"a"}, true)
	if hp := s.Plan.Host("a"); hp.Error != "" || changes(s) != "file./etc/motd write" {
		t.Fatalf("plan: error %q, changes %q", hp.Error, changes(s))
	}
	if len(log.batches) != 3 {
		t.Errorf("round trips %q; want the failed first look, the first look again, the resources", log.batches)
	}
}

// eventConn logs Observe and Close calls of every host in one shared log.
type eventConn struct {
	Conn
	log *[]string
	mu  *sync.Mutex
}

func (c eventConn) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	c.mu.Lock()
	*c.log = append(*c.log, c.Name()+":observe")
	c.mu.Unlock()
	return c.Conn.Observe(ctx, probes)
}

func (c eventConn) Close() error {
	c.mu.Lock()
	*c.log = append(*c.log, c.Name()+":close")
	c.mu.Unlock()
	return nil
}

// A read-only plan of hosts whose resources do not depend on the fleet (no stacks, no
// balancers) finishes each host as soon as its first look is in and closes its connection
// then: one host at a time (-p 1) shows it, the first host is done before the second starts.
// A plan that may be applied keeps its connections.
func TestAReadOnlyPlanFinishesEachStandaloneHostAtOnce(t *testing.T) {
	for _, readOnly := range []bool{true, false} {
		var log []string
		var mu sync.Mutex
		inv := &inventory.Inventory{}
		for _, n := range []string{"a", "b"} {
			inv.Hosts = append(inv.Hosts, &inventory.Host{Name: n, Address: n, Files: []*inventory.File{{Path: "/etc/motd", Content: []byte("hi\n"), Mode: 0o644}}})
		}
		e := testEngine(inv, nil)
		e.Parallel = 1
		e.Dial = func(_ context.Context, h *inventory.Host) (Conn, error) {
			return eventConn{Conn: newDebianHost(h.Name), log: &log, mu: &mu}, nil
		}
		s := e.Plan(context.Background(), []string{"a", "b"}, readOnly)
		for _, n := range []string{"a", "b"} {
			if hp := s.Plan.Host(n); hp.Error != "" || len(hp.Changes) != 1 {
				t.Fatalf("plan of %s: %+v", n, hp)
			}
		}
		got := strings.Join(log, " ")
		first := strings.SplitN(got, ":", 2)[0]
		second := map[string]string{"a": "b", "b": "a"}[first]
		want := first + ":observe " + first + ":close " + second + ":observe " + second + ":close"
		if !readOnly {
			want = first + ":observe " + second + ":observe"
		}
		if got != want {
			t.Errorf("read-only %v: %q, want %q", readOnly, got, want)
		}
	}
}
