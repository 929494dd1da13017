package provisioner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/file"
	"github.com/berth-dev/berth/modules/hosttest"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/hostlock"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// debianHost is a fake that behaves like a Debian host for the commands the host layer
// sends: dpkg-query reflects apt-get install, systemctl show reflects start/enable.
type debianHost struct {
	*hosttest.Fake
	mu        sync.Mutex
	installed map[string]bool
	units     map[string]*[2]string // name -> {ActiveState, UnitFileState}
	restarts  map[string]int
}

func newDebianHost(name string) *debianHost {
	d := &debianHost{Fake: hosttest.New(name), installed: map[string]bool{}, units: map[string]*[2]string{}, restarts: map[string]int{}}
	d.Handle("dpkg-query", func(argv []string, _ []byte) modules.Result {
		d.mu.Lock()
		defer d.mu.Unlock()
		var out strings.Builder
		for _, n := range argv[5:] {
			if d.installed[n] {
				fmt.Fprintf(&out, "%s\tii \t1.0\n", n)
			}
		}
		return modules.Result{Stdout: []byte(out.String())}
	})
	d.Handle("env DEBIAN_FRONTEND=noninteractive apt-get", func(argv []string, _ []byte) modules.Result {
		d.mu.Lock()
		defer d.mu.Unlock()
		dash := false
		for _, a := range argv {
			if dash {
				d.installed[a] = true
				if a == "docker.io" || a == "rsyslog" {
					unit := map[string]string{"docker.io": "docker", "rsyslog": "rsyslog"}[a]
					d.units[unit] = &[2]string{"active", "enabled"}
				}
			}
			dash = dash || a == "--"
		}
		return modules.Result{}
	})
	d.Handle("systemctl", func(argv []string, _ []byte) modules.Result {
		d.mu.Lock()
		defer d.mu.Unlock()
		name := argv[len(argv)-1]
		u := d.units[name]
		switch argv[1] {
		case "show":
			if u == nil {
				return modules.Result{Stdout: []byte("LoadState=not-found\nActiveState=inactive\nUnitFileState=\n")}
			}
			return modules.Result{Stdout: []byte(fmt.Sprintf("LoadState=loaded\nActiveState=%s\nUnitFileState=%s\n", u[0], u[1]))}
		case "restart":
			d.restarts[name]++
		}
		if u == nil {
			return modules.Result{ExitCode: 5, Stderr: []byte("Unit " + name + " not found.")}
		}
		switch argv[1] {
		case "start", "restart":
			u[0] = "active"
		case "enable":
			u[1] = "enabled"
		}
		return modules.Result{}
	})
	d.Reply("docker info", "20.10.24\n", 0)
	d.Reply("dockerd --validate", "", 0)
	d.Reply("rm -f", "", 0)
	d.Handle("install -d", func(argv []string, _ []byte) modules.Result {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.Files[argv[len(argv)-1]] = &hosttest.File{Dir: true, Mode: parseMode(argv[3]), Owner: argv[5], Group: argv[7]}
		return modules.Result{}
	})
	return d
}

func parseMode(s string) fs.FileMode {
	var m fs.FileMode
	fmt.Sscanf(s, "%o", &m)
	return m
}

func (d *debianHost) Close() error { return nil }

func testInventory(hosts ...string) *inventory.Inventory {
	inv := &inventory.Inventory{Hash: "h1"}
	for _, n := range hosts {
		inv.Hosts = append(inv.Hosts, &inventory.Host{
			Name: n, Address: n,
			Docker: &inventory.Docker{Source: "distro", Daemon: map[string]any{
				"log-driver": "syslog", "log-opts": map[string]any{"tag": "{{.Name}}"},
			}},
			Syslog: &inventory.Syslog{ContainerLogs: "/var/log/containers"},
		})
	}
	return inv
}

func testEngine(inv *inventory.Inventory, fakes map[string]*debianHost) *Engine {
	return &Engine{
		Inventory: inv,
		Dial: func(ctx context.Context, h *inventory.Host) (Conn, error) {
			if f, ok := fakes[h.Name]; ok {
				return f, nil
			}
			return nil, errors.New("dial " + h.Name + ": connection refused")
		},
		Build: Resources,
	}
}

func TestApplyConvergesThenPlansNothing(t *testing.T) {
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b")}
	e := testEngine(testInventory("a", "b", "down"), fakes)
	ctx := context.Background()

	s := e.Plan(ctx, []string{"a", "b", "down"}, false)
	c := s.Plan.Count()
	if c.Failed != 1 || s.Plan.Host("down").Error == "" {
		t.Fatalf("unreachable host not reported: %+v", c)
	}
	if got := len(s.Plan.Host("a").Changes); got == 0 {
		t.Fatal("bare host planned no changes")
	}
	sum := e.Apply(ctx, s)
	for _, h := range sum.Hosts {
		want := OutcomeChanged
		if h.Host == "down" {
			want = OutcomeFailed
		}
		if h.Outcome != want {
			t.Errorf("%s: outcome %s (%s), want %s", h.Host, h.Outcome, h.Error, want)
		}
	}
	daemon := string(fakes["a"].Files["/etc/docker/daemon.json"].Data)
	if !strings.Contains(daemon, `"syslog-facility": "local6"`) || !strings.Contains(daemon, `"tag": "{{.Name}}"`) {
		t.Errorf("daemon.json:\n%s", daemon)
	}
	if fakes["a"].restarts["docker"] != 1 || fakes["a"].restarts["rsyslog"] != 1 {
		t.Errorf("restarts after first apply: %v, want docker and rsyslog once", fakes["a"].restarts)
	}

	again := e.Plan(ctx, []string{"a", "b"}, false)
	if n := again.Plan.Count().Total(); n != 0 {
		var b bytes.Buffer
		Render(&b, again.Plan)
		t.Fatalf("second plan has %d changes:\n%s", n, b.String())
	}
	e.Apply(ctx, again)
	if fakes["a"].restarts["docker"] != 1 {
		t.Errorf("a no-change apply restarted docker")
	}
}

func TestHandEditedDaemonIsDriftOnThatHostOnly(t *testing.T) {
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b")}
	e := testEngine(testInventory("a", "b"), fakes)
	ctx := context.Background()
	e.Apply(ctx, e.Plan(ctx, []string{"a", "b"}, false))

	fakes["b"].SetFile("/etc/docker/daemon.json", `{"log-driver": "json-file"}`, 0o644)
	p := e.Plan(ctx, []string{"a", "b"}, true).Plan
	if len(p.Host("a").Changes) != 0 {
		t.Errorf("host a drifted: %+v", p.Host("a").Changes)
	}
	var addrs []string
	for _, c := range p.Host("b").Changes {
		addrs = append(addrs, c.Address+" "+c.Reason)
	}
	sort.Strings(addrs)
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "docker.daemon settings differ: log-driver \"json-file\" -> \"syslog\", log-opts added") {
		t.Fatalf("drift on b: %q", addrs)
	}
}

func TestDependentRestartOnlyWhenDependencyChanged(t *testing.T) {
	f := newDebianHost("a")
	inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "a",
		Files:    []*inventory.File{{Path: "/etc/app.conf", Content: []byte("x=1\n"), Mode: 0o644}},
		Services: []*inventory.Service{{Name: "app", State: "running", Restart: []string{"file./etc/app.conf"}}},
	}}}
	f.units["app"] = &[2]string{"active", "enabled"}
	e := testEngine(inv, map[string]*debianHost{"a": f})
	ctx := context.Background()
	p := e.Plan(ctx, []string{"a"}, false)
	got := p.Plan.Host("a").Changes
	if len(got) != 2 || got[1].Address != "service.app" || got[1].Op != "restart" {
		t.Fatalf("changes: %+v", got)
	}
	e.Apply(ctx, p)
	if f.restarts["app"] != 1 {
		t.Fatalf("app restarted %d times", f.restarts["app"])
	}
	if n := e.Plan(ctx, []string{"a"}, false).Plan.Count().Total(); n != 0 {
		t.Fatalf("second plan: %d changes", n)
	}
}

func TestReadOnlyPlanReportsBusyInOneRoundTrip(t *testing.T) {
	f := newDebianHost("a")
	f.Files["/run/berth/lock"] = &hosttest.File{Dir: true, Mode: 0o700}
	f.SetFile("/run/berth/lock/holder.json", `{"who":"ops@laptop","pid":42,"command":"berth apply","since":"2026-11-22T01:00:00Z","token":"abc"}`, 0o600)
	e := testEngine(testInventory("a"), map[string]*debianHost{"a": f})
	p := e.Plan(context.Background(), []string{"a"}, true).Plan
	if hp := p.Host("a"); !strings.Contains(hp.Busy, "ops@laptop") || hp.Error != "" {
		t.Fatalf("busy = %q, error = %q", hp.Busy, hp.Error)
	}
	if f.Observed != 1 {
		t.Fatalf("observation took %d round trips, want 1 (lock, facts and the resources' probes together)", f.Observed)
	}
	if f.Ran != nil {
		t.Fatalf("a read-only plan ran commands: %q", f.Ran)
	}
}

// orderRes records when its change is applied; phase says when the engine may run it.
type orderRes struct {
	addr  string
	phase int
	log   *[]string
	mu    *sync.Mutex
	fail  bool
	stack string // modules.StackMember; "" for other resources
	// emits is the address of the change Diff emits; addr when empty.
	emits string
}

func (o *orderRes) Address() string         { return o.addr }
func (o *orderRes) Stack() string           { return o.stack }
func (o *orderRes) Probes() []modules.Probe { return nil }
func (o *orderRes) Phase() int              { return o.phase }
func (o *orderRes) Diff([]modules.ProbeResult) []modules.Change {
	a := o.emits
	if a == "" {
		a = o.addr
	}
	return []modules.Change{{Address: a, Action: modules.Update, Op: "x", Observed: o}}
}
func (o *orderRes) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c.Observed != o {
		return errors.New("routed a change to a resource that did not emit it")
	}
	*o.log = append(*o.log, h.Name()+":"+c.Address)
	if o.fail {
		return errors.New("unhealthy, rolled back")
	}
	return nil
}

func TestPhasesRunAcrossHostsInOrder(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b"), "c": newDebianHost("c")}
	e := testEngine(testInventory("a", "b", "c"), fakes)
	e.Build = func(_ *inventory.Inventory, h *inventory.Host, _ *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		switch h.Name {
		case "a": // the old replica's host: it must stop last
			return []modules.Resource{&orderRes{addr: "stack.web-removal", phase: modules.PhaseTeardown, log: &log, mu: &mu}}, nil
		case "b": // the balancer
			return []modules.Resource{&orderRes{addr: "balancer.cfg", phase: modules.PhaseBalance, log: &log, mu: &mu}}, nil
		}
		return []modules.Resource{&orderRes{addr: "stack.web", phase: modules.PhaseDeploy, log: &log, mu: &mu}}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a", "b", "c"}, false))
	if got := strings.Join(log, " "); got != "c:stack.web b:balancer.cfg a:stack.web-removal" {
		t.Fatalf("apply order: %s", got)
	}
	for _, h := range sum.Hosts {
		if h.Outcome != OutcomeChanged {
			t.Errorf("%s: %s %s", h.Host, h.Outcome, h.Error)
		}
	}
}

func TestFailedDeployHoldsTeardownAndBalancer(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b"), "c": newDebianHost("c")}
	e := testEngine(testInventory("a", "b", "c"), fakes)
	e.Build = func(_ *inventory.Inventory, h *inventory.Host, _ *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		switch h.Name {
		case "a":
			return []modules.Resource{&orderRes{addr: "stack.web", phase: modules.PhaseTeardown, log: &log, mu: &mu, stack: "web"}}, nil
		case "b":
			return []modules.Resource{&orderRes{addr: "balancer.cfg", phase: modules.PhaseBalance, log: &log, mu: &mu}}, nil
		}
		// c: the new replica's image transfer fails (a change whose address is not its
		// resource's): the stack's removal elsewhere and the balancer are held all the same.
		return []modules.Resource{&orderRes{addr: "stack.web", emits: "stack.web.image.web:2", phase: modules.PhaseDeploy, log: &log, mu: &mu, fail: true, stack: "web"}}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a", "b", "c"}, false))
	if got := strings.Join(log, " "); got != "c:stack.web.image.web:2" {
		t.Fatalf("applied: %s (the old replica and the balancer must be held)", got)
	}
	for _, h := range sum.Hosts {
		if h.Outcome != OutcomeFailed {
			t.Errorf("%s: %s", h.Host, h.Outcome)
		}
		if h.Host != "c" && !strings.Contains(h.Error, "held: ") {
			t.Errorf("%s: %s", h.Host, h.Error)
		}
	}
}

// Apply hands each change to the resource that emitted it: a change whose address is not
// its resource's (an image transfer, stack.web.image.REF) and two resources of one host that
// share an address (the removal of the replica leaving and the replica arriving) each get
// their own changes, in plan order. Before, routing by address failed the first with "no
// resource produced this change" and sent the removal to the replica ("unknown operation").
func TestApplyRoutesEachChangeToItsEmitter(t *testing.T) {
	var log []string
	var mu sync.Mutex
	e := testEngine(testInventory("a"), map[string]*debianHost{"a": newDebianHost("a")})
	e.Build = func(_ *inventory.Inventory, h *inventory.Host, _ *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		return []modules.Resource{
			&orderRes{addr: "stack.web", emits: "stack.web.image.web:2", log: &log, mu: &mu, stack: "web"},
			&orderRes{addr: "stack.api", log: &log, mu: &mu, stack: "api"},
			&orderRes{addr: "stack.api", emits: "stack.api", log: &log, mu: &mu, stack: "api"},
		}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a"}, false))
	if got := strings.Join(log, " "); got != "a:stack.web.image.web:2 a:stack.api a:stack.api" {
		t.Fatalf("applied: %s", got)
	}
	if h := sum.Hosts[0]; h.Outcome != OutcomeChanged || h.Applied != 3 {
		t.Fatalf("summary: %+v", h)
	}
}

// A balancer that fails to take its new configuration may still send to the old replica:
// the teardown is held.
func TestFailedBalancerHoldsTeardown(t *testing.T) {
	var log []string
	var mu sync.Mutex
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b"), "c": newDebianHost("c")}
	e := testEngine(testInventory("a", "b", "c"), fakes)
	e.Build = func(_ *inventory.Inventory, h *inventory.Host, _ *facts.Facts, _ schedule.Assignment) ([]modules.Resource, error) {
		switch h.Name {
		case "a":
			return []modules.Resource{&orderRes{addr: "stack.web", phase: modules.PhaseTeardown, log: &log, mu: &mu, stack: "web"}}, nil
		case "b":
			return []modules.Resource{&orderRes{addr: "balancer.cfg", phase: modules.PhaseBalance, log: &log, mu: &mu, fail: true}}, nil
		}
		return []modules.Resource{&orderRes{addr: "stack.web", phase: modules.PhaseDeploy, log: &log, mu: &mu, stack: "web"}}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a", "b", "c"}, false))
	if got := strings.Join(log, " "); got != "c:stack.web b:balancer.cfg" { // the balancer's failed
		t.Fatalf("applied: %s (the old replica must keep running)", got)
	}
	if a := sum.Hosts[0]; a.Outcome != OutcomeFailed || !strings.Contains(a.Error, "held: the balancer on b") {
		t.Fatalf("a: %+v", a)
	}
}

// A host whose lock another berth holds fails in apply with the busy error and its hint (the
// unlock command); the other hosts are applied.
func TestApplyOnABusyHostCarriesTheHint(t *testing.T) {
	fakes := map[string]*debianHost{"a": newDebianHost("a"), "b": newDebianHost("b")}
	e := testEngine(testInventory("a", "b"), fakes)
	e.HostLock = func(ctx context.Context, c Conn) (func(), error) {
		if c.Name() == "b" {
			return nil, &hostlock.BusyError{Host: "b", Holder: &hostlock.Holder{Who: "alice@laptop", PID: 42, Token: "9f2c"}}
		}
		return func() {}, nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a", "b"}, false))
	got := map[string]HostResult{}
	for _, h := range sum.Hosts {
		got[h.Host] = h
	}
	if got["a"].Outcome != OutcomeChanged || got["b"].Outcome != OutcomeFailed ||
		!strings.Contains(got["b"].Error, "locked by alice@laptop") || got["b"].Hint != "if that run is gone, remove the stale lock: berth unlock b --id 9f2c" {
		t.Fatalf("results: %+v", sum.Hosts)
	}
}

// A run of file changes goes to the host as one batch; a write failing in it stops the
// host there, the files before it are written and counted, those after it are not.
func TestFileChangesGoAsOneBatchAndStopAtTheFailure(t *testing.T) {
	f := newDebianHost("a")
	var files []*inventory.File
	for _, n := range []string{"a", "b", "c"} {
		files = append(files, &inventory.File{Path: "/etc/berth-" + n, Content: []byte(n + "\n"), Mode: 0o644})
	}
	inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "a", Files: files}}}
	e := testEngine(inv, map[string]*debianHost{"a": f})
	var mu sync.Mutex
	var events []string
	e.Events = func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasPrefix(ev.Type, "change.") {
			events = append(events, ev.Type+" "+ev.Address+" "+ev.Error)
		}
	}
	f.WriteErr = func(w modules.FileWrite) error {
		if w.Path == "/etc/berth-b" {
			return errors.New("no space left on device")
		}
		return nil
	}
	ctx := context.Background()
	sum := e.Apply(ctx, e.Plan(ctx, []string{"a"}, false))
	r := sum.Hosts[0]
	if r.Outcome != OutcomeFailed || r.Applied != 1 || r.Failed != "file./etc/berth-b" || !strings.Contains(r.Error, "write /etc/berth-b on a: no space left") {
		t.Fatalf("result %+v", r)
	}
	if _, ok := f.Files["/etc/berth-c"]; ok || f.Files["/etc/berth-a"] == nil {
		t.Errorf("files after the failed batch: %v", f.Paths())
	}
	want := []string{
		"change.started file./etc/berth-a ", "change.started file./etc/berth-b ", "change.started file./etc/berth-c ",
		"change.finished file./etc/berth-a ",
		"change.failed file./etc/berth-b write /etc/berth-b on a: no space left on device",
		"change.failed file./etc/berth-c not written: file./etc/berth-b failed first",
	}
	if !slices.Equal(events, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	f.WriteErr = nil
	sum = e.Apply(ctx, e.Plan(ctx, []string{"a"}, false))
	if r := sum.Hosts[0]; r.Outcome != OutcomeChanged || r.Applied != 2 {
		t.Fatalf("second apply %+v", r)
	}
	if !slices.Equal(f.Batches, []int{3, 2}) {
		t.Errorf("batches %v, want [3 2]", f.Batches)
	}
}

// A file whose content cannot be produced (file.Spec.Produce: the inventory changed during
// the run) stops its batch before it: the files before it are written, it fails with its
// own error, and nothing after it is sent.
func TestABatchStopsAtAContentThatCannotBeProduced(t *testing.T) {
	f := newDebianHost("a")
	inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "a"}}}
	e := testEngine(inv, map[string]*debianHost{"a": f})
	spec := func(n string) file.Spec {
		return file.Spec{Path: "/etc/berth-" + n, Content: []byte(n + "\n"), Mode: 0o644}
	}
	gone := spec("b")
	gone.SHA256, gone.Size = file.Sum(gone.Content), len(gone.Content)
	gone.Content, gone.Produce = nil, func() ([]byte, error) { return nil, errors.New("the inventory changed during the run") }
	e.Build = func(*inventory.Inventory, *inventory.Host, *facts.Facts, schedule.Assignment) ([]modules.Resource, error) {
		return []modules.Resource{file.New(spec("a")), file.New(gone), file.New(spec("c"))}, nil
	}
	ctx := context.Background()
	r := e.Apply(ctx, e.Plan(ctx, []string{"a"}, false)).Hosts[0]
	if r.Outcome != OutcomeFailed || r.Applied != 1 || r.Failed != "file./etc/berth-b" || !strings.Contains(r.Error, "write /etc/berth-b: the inventory changed") {
		t.Fatalf("result %+v", r)
	}
	if _, ok := f.Files["/etc/berth-c"]; ok || f.Files["/etc/berth-a"] == nil || f.Files["/etc/berth-b"] != nil {
		t.Errorf("files after the batch: %v", f.Paths())
	}
}

// A run observes only the facts its plan can use: a host with only files, in an inventory
// without stacks, gets no facts probes at all, unless it still runs a stack berth deployed
// earlier, whose removal needs its compose command (then one more round trip for all of
// them); a host with a docker block gets them all.
func TestFactsOnlyWhereTheyCanMatter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		leftover bool
		docker   bool
		trips    int
		scope    facts.Scope
	}{
		{"files only", false, false, 1, facts.ScopeNone},
		{"a stack left from an earlier inventory", true, false, 3, facts.ScopeDocker},
		{"a docker block", false, true, 1, facts.ScopeDocker},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newDebianHost("a")
			var probed []string
			f.Handle("docker", func(argv []string, _ []byte) modules.Result {
				probed = append(probed, strings.Join(argv, " "))
				if argv[1] == "compose" {
					return modules.Result{Stdout: []byte("2.26.1\n")}
				}
				return modules.Result{Stdout: []byte("Docker version 26.1.5, build x\n")}
			})
			f.Handle("df", func(argv []string, _ []byte) modules.Result {
				probed = append(probed, strings.Join(argv, " "))
				return modules.Result{}
			})
			if tc.leftover {
				f.Reply("sh -c 'for f in \"$0\"/*/manifest.json", "/var/lib/berth/stacks/web/manifest.json\n", 0)
			}
			h := &inventory.Host{Name: "a", Files: []*inventory.File{{Path: "/etc/motd", Content: []byte("hi\n"), Mode: 0o644}}}
			if tc.docker {
				h.Docker = &inventory.Docker{Source: "distro"}
			}
			e := testEngine(&inventory.Inventory{Hosts: []*inventory.Host{h}}, map[string]*debianHost{"a": f})
			s := e.Plan(context.Background(), []string{"a"}, true)
			if f.Observed != tc.trips {
				t.Errorf("%d round trips, want %d", f.Observed, tc.trips)
			}
			hs := s.hosts["a"]
			if hs.facts.Scope != tc.scope || (len(probed) > 0) != (tc.scope != facts.ScopeNone) {
				t.Errorf("facts scope %v, probes run %q; want scope %v", hs.facts.Scope, probed, tc.scope)
			}
			if tc.leftover && hs.facts.Compose.Variant != "v2" {
				t.Errorf("compose facts for the removal: %+v", hs.facts.Compose)
			}
			if hp := s.Plan.Host("a"); hp.Error != "" || hp.Changes[0].Address != "file./etc/motd" {
				t.Errorf("plan %+v", hp)
			}
		})
	}
}
