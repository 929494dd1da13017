package runbook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
	"github.com/berth-dev/berth/provisioner/hostlock"
	"github.com/berth-dev/berth/provisioner/schedule"
	"github.com/berth-dev/berth/secret"
)

// fakeHosts hands out hosttest fakes by name.
type fakeHosts map[string]*hosttest.Fake

func (f fakeHosts) Host(_ context.Context, n string) (modules.Host, error) {
	h, ok := f[n]
	if !ok {
		return nil, errors.New("no host " + n)
	}
	return h, nil
}
func (f fakeHosts) Forget(string) {}

// locks records the locks a run takes and releases.
type locks struct {
	mu  sync.Mutex
	log []string
}

func (l *locks) lock(_ context.Context, h modules.Host, _ string) (string, func() error, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, "lock "+h.Name())
	return "id-" + h.Name(), func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.log = append(l.log, "release "+h.Name())
		return nil
	}, nil
}

func exec(id, host string, argv ...string) *inventory.Step {
	return &inventory.Step{ID: id, Kind: "exec", Hosts: []string{host}, Command: argv, Attrs: map[string]string{}}
}

type fixture struct {
	t     *testing.T
	hosts fakeHosts
	inv   *inventory.Inventory
	rb    *inventory.Runbook
	locks *locks
	out   bytes.Buffer
}

func newFixture(t *testing.T, steps ...*inventory.Step) *fixture {
	f := &fixture{t: t, hosts: fakeHosts{"a": hosttest.New("a"), "b": hosttest.New("b")}, locks: &locks{}}
	for _, h := range f.hosts {
		h.Reply("echo", "hi\n", 0)
		h.Reply("true", "", 0)
		h.Reply("false", "", 1)
	}
	f.rb = &inventory.Runbook{Name: "rb", Steps: steps}
	f.inv = &inventory.Inventory{Dir: t.TempDir(), Hash: "h1", Hosts: []*inventory.Host{{Name: "a"}, {Name: "b"}}, Runbooks: []*inventory.Runbook{f.rb}}
	return f
}

func (f *fixture) runner() *Runner {
	return &Runner{Inventory: f.inv, Runbook: f.rb, Hosts: f.hosts, Out: &f.out, Who: "ops@laptop", From: "/inv",
		Version: "test", Lock: f.locks.lock, Yes: true, Interval: time.Millisecond, Invocation: Invocation{Dir: "inv"}}
}

func (f *fixture) ran(host string) []string {
	return append([]string(nil), f.hosts[host].Ran...)
}

// journal returns the record types of the last run's journal, and the run state.
func (f *fixture) journal() ([]Record, *RunState) {
	f.t.Helper()
	path, err := Latest(Dir(f.inv.Dir, "rb"))
	if err != nil || path == "" {
		f.t.Fatalf("no journal: %v", err)
	}
	recs, err := Read(path)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs, Replay(path, recs)
}

func types(recs []Record) string {
	var s []string
	for _, r := range recs {
		t := r.Type
		if r.Step != "" {
			t += ":" + r.Step
		}
		s = append(s, t)
	}
	return strings.Join(s, " ")
}

func TestRunsStepsInOrderAndJournalsThem(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "b", "echo", "2"),
		&inventory.Step{ID: "gate", Kind: "confirm", Message: "look at the dashboards", Attrs: map[string]string{}},
		exec("three", "a", "echo", "3"))
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := f.ran("a"), []string{"echo 1", "echo 3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("host a ran %q, want %q", got, want)
	}
	recs, st := f.journal()
	want := "run.started locks.taken step.started:one step.finished:one step.started:two step.finished:two " +
		"step.started:gate confirmed:gate step.finished:gate step.started:three step.finished:three run.finished locks.released"
	if got := types(recs); got != want {
		t.Errorf("journal:\n got %s\nwant %s", got, want)
	}
	start := recs[0]
	if start.Who != "ops@laptop" || start.From != "/inv" || start.Version != "test" || start.InventoryHash != "h1" {
		t.Errorf("run.started does not say who, from where, which berth and inventory: %+v", start)
	}
	if recs[3].Output != "    a | hi\n" {
		t.Errorf("step one's journaled output = %q", recs[3].Output)
	}
	if c := recs[7]; c.Who != "ops@laptop (--yes)" || c.Message != "look at the dashboards" {
		t.Errorf("confirmation record %+v", c)
	}
	if !st.Finished || !reflect.DeepEqual(st.Locks, map[string]string{"a": "id-a", "b": "id-b"}) {
		t.Errorf("state %+v", st)
	}
	if got := strings.Join(f.locks.log, ","); got != "lock a,lock b,release b,release a" {
		t.Errorf("locks: %s, want both taken before the first step and released at the end", got)
	}
	// A finished run is not run again by accident: that takes --new (or --from, --only).
	if err := f.runner().Run(context.Background(), Options{}); !errors.Is(err, ErrRunClosed) || len(f.ran("a")) != 2 {
		t.Errorf("run after a finished run: %v, host a ran %q", err, f.ran("a"))
	}
	if err := f.runner().Run(context.Background(), Options{New: true}); err != nil || len(f.ran("a")) != 4 {
		t.Errorf("--new after a finished run: %v, host a ran %q", err, f.ran("a"))
	}
}

func TestStopsAtFirstFailureAndResumesThere(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "b", "false"), exec("three", "a", "echo", "3"))
	err := f.runner().Run(context.Background(), Options{})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "two" {
		t.Fatalf("err = %v, want a StepError for two", err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo 1"}) {
		t.Fatalf("host a ran %q after the failure", got)
	}
	_, st := f.journal()
	if st.State("one") != StateDone || st.State("two") != StateFailed || st.State("three") != StatePending || !st.Open() {
		t.Fatalf("states one=%s two=%s three=%s open=%v", st.State("one"), st.State("two"), st.State("three"), st.Open())
	}
	f.hosts["b"].Reply("false", "", 0) // the cause is fixed
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo 1", "echo 3"}) {
		t.Errorf("host a ran %q: step one ran again, or three did not", got)
	}
	recs, st := f.journal()
	if !st.Finished || st.ID != recs[0].Run {
		t.Errorf("resumed run not finished in the same journal: %s", types(recs))
	}
	if !strings.Contains(types(recs), "run.stopped:two locks.released run.resumed locks.taken step.started:two") {
		t.Errorf("journal does not show the resume at two: %s", types(recs))
	}
}

func TestResumeMustBeConfirmed(t *testing.T) {
	f := newFixture(t, exec("one", "a", "false"))
	f.runner().Run(context.Background(), Options{})
	r := f.runner()
	r.Yes = false
	var asked string
	r.Ask = func(_ context.Context, q string) (bool, error) { asked = q; return false, nil }
	if err := r.Run(context.Background(), Options{}); !errors.Is(err, ErrDeclined) {
		t.Fatalf("err = %v, want ErrDeclined", err)
	}
	if !strings.Contains(asked, "next step one (failed)") {
		t.Errorf("question %q does not say where the run stopped", asked)
	}
	if n := len(f.ran("a")); n != 1 {
		t.Errorf("declined resume ran %d commands in all, want 1", n)
	}
	r.Ask = nil
	if err := r.Run(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("without a terminal: err = %v, want a hint to use --yes", err)
	}
}

func TestNewAbandonsTheOpenRun(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "a", "false"))
	f.runner().Run(context.Background(), Options{})
	first, _ := f.journal()
	f.hosts["a"].Reply("false", "", 0)
	if err := f.runner().Run(context.Background(), Options{New: true}); err != nil {
		t.Fatal(err)
	}
	recs, st := f.journal()
	if recs[0].Run == first[0].Run || !st.Finished {
		t.Fatalf("--new did not start a new run")
	}
	old, _ := Read(filepath.Join(Dir(f.inv.Dir, "rb"), first[0].Run+".jsonl"))
	if old[len(old)-1].Type != RecRunAbandoned {
		t.Errorf("old run not marked abandoned: %s", types(old))
	}
	if got := f.ran("a"); len(got) != 4 {
		t.Errorf("a new run reruns every step: ran %q", got)
	}
}

// --from and --only start new runs; a step done by any run of the series is never run
// again by a plain run.
func TestFromAndOnly(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "a", "echo", "2"), exec("three", "a", "echo", "3"))
	if err := f.runner().Run(context.Background(), Options{Only: "two"}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo 2"}) {
		t.Fatalf("--only two ran %q", got)
	}
	// --only is a new run, finished once its step is done; a plain run then does the rest.
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo 2", "echo 1", "echo 3"}) {
		t.Fatalf("the run after --only two ran %q", got)
	}
	if n := len(f.runIDs()); n != 2 {
		t.Errorf("%d runs, want 2: --only two, then the first run of every step", n)
	}
	// --from re-runs finished steps from there on, in a new run; after it, nothing is left.
	if err := f.runner().Run(context.Background(), Options{From: "two"}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a")[3:]; !reflect.DeepEqual(got, []string{"echo 2", "echo 3"}) {
		t.Fatalf("--from two ran %q", got)
	}
	if !strings.Contains(f.out.String(), "every step of runbook rb is done") {
		t.Errorf("--from two did not say every step is done:\n%s", f.out.String())
	}
	if err := f.runner().Run(context.Background(), Options{}); !errors.Is(err, ErrRunClosed) || len(f.ran("a")) != 5 {
		t.Errorf("plain run after --from: %v, ran %q", err, f.ran("a"))
	}
	if err := f.runner().Run(context.Background(), Options{From: "nope"}); err == nil || !strings.Contains(err.Error(), "one two three") {
		t.Errorf("unknown --from: %v", err)
	}
}

// The case: the first run stops at two; --from three (a new run) finishes; a plain run
// then resumes the first run at two, and only two. Status and the stop messages agree.
func TestFromAfterAStopReplaysNothing(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "b", "false"), exec("three", "a", "echo", "3"), exec("four", "a", "echo", "4"))
	f.runner().Run(context.Background(), Options{})
	first := f.runIDs()[0]
	if want := "To resume it at step two: berth runbook run rb inv"; !strings.Contains(f.out.String(), want) {
		t.Errorf("stop message lacks %q:\n%s", want, f.out.String())
	}
	f.out.Reset()
	if err := f.runner().Run(context.Background(), Options{From: "three"}); err != nil {
		t.Fatal(err)
	}
	want := "Not done yet: two (failed).\nTo resume run " + first + " at step two: berth runbook run rb inv"
	if !strings.Contains(f.out.String(), want) {
		t.Errorf("--from three's end lacks %q:\n%s", want, f.out.String())
	}
	if out := f.status(StatusOptions{}); !strings.Contains(out, "unfinished, resumes at two") || !strings.Contains(out, "To resume run "+first+" at step two") {
		t.Errorf("status:\n%s", out)
	}
	f.hosts["b"].Reply("false", "", 0)
	before := len(f.ran("a"))
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a")[before:]; len(got) != 0 {
		t.Errorf("the resumed run ran %q on a: steps done by --from ran again", got)
	}
	if got := f.ran("b"); len(got) != 2 {
		t.Errorf("b ran %q, want two twice (failed, then resumed)", got)
	}
	if out := f.status(StatusOptions{}); !strings.Contains(out, ": finished (runs ") || !strings.Contains(out, "Nothing to resume: every step of runbook rb is done") {
		t.Errorf("status after all done:\n%s", out)
	}
	if out := f.status(StatusOptions{All: true}); strings.Count(out, ": finished") != 2 {
		t.Errorf("status --all:\n%s", out)
	}
}

// --run resumes a given run; --run with --from is refused.
func TestRunIDResumesThatRun(t *testing.T) {
	f := newFixture(t, exec("one", "a", "false"), exec("two", "a", "echo", "2"), exec("three", "b", "false"))
	f.runner().Run(context.Background(), Options{})              // stops at one
	f.runner().Run(context.Background(), Options{From: "three"}) // stops at three
	ids := f.runIDs()
	if want := "To resume it at step three: berth runbook run rb inv"; !strings.Contains(f.out.String(), want) {
		t.Errorf("the newest stopped run is resumed by a plain run: want %q in\n%s", want, f.out.String())
	}
	f.hosts["a"].Reply("false", "", 0)
	f.out.Reset()
	var se *StepError
	if err := f.runner().Run(context.Background(), Options{Run: ids[0]}); !errors.As(err, &se) || se.Step != "three" {
		t.Fatalf("--run %s: %v, want three to fail again (b is still broken)", ids[0], err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"false", "false", "echo 2"}) {
		t.Errorf("--run %s ran %q on a", ids[0], got)
	}
	if !strings.Contains(f.out.String(), "Resuming run "+ids[0]+" at step one") {
		t.Errorf("--run did not resume %s:\n%s", ids[0], f.out.String())
	}
	if err := f.runner().Run(context.Background(), Options{Run: ids[0], From: "one"}); err == nil {
		t.Error("--run with --from accepted")
	}
}

func TestInterruptedStepResumesThere(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "a", "echo", "2"))
	dir := Dir(f.inv.Dir, "rb")
	j, err := Create(dir, "20260101T000000Z-aaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	j.Append(Record{Type: RecRunStarted, Who: "x@y"})
	j.Append(Record{Type: RecStepStarted, Step: "one"})
	j.Append(Record{Type: RecStepDone, Step: "one"})
	j.Append(Record{Type: RecStepStarted, Step: "two"})
	j.Close()
	// kill -9 in the middle of a write leaves a cut last line.
	fh, _ := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"time":"2026-01-01T00:00:01Z","type":"step.fin`)
	fh.Close()
	recs, err := Read(j.Path())
	if err != nil || len(recs) != 4 {
		t.Fatalf("Read with a cut last line: %d records, %v", len(recs), err)
	}
	if s := Replay(j.Path(), recs); s.State("two") != StateRunning {
		t.Fatalf("two is %s, want %s", s.State("two"), StateRunning)
	}
	fh, _ = os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString("\n")
	fh.Close()
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a"); !reflect.DeepEqual(got, []string{"echo 2"}) {
		t.Errorf("resume after a crash ran %q, want only two", got)
	}
}

func TestUndoRunsUndoBlocksInReverse(t *testing.T) {
	one := exec("one", "a", "echo", "1")
	one.Undo = &inventory.Step{Kind: "exec", Command: []string{"echo", "undo-1"}, Attrs: map[string]string{}}
	two := exec("two", "b", "echo", "2")
	three := exec("three", "a", "echo", "3")
	three.Undo = &inventory.Step{Kind: "exec", Hosts: []string{"b"}, Command: []string{"echo", "undo-3"}, Attrs: map[string]string{}}
	four := exec("four", "a", "false")
	four.Undo = &inventory.Step{Kind: "exec", Command: []string{"echo", "undo-4"}, Attrs: map[string]string{}}
	f := newFixture(t, one, two, three, four)
	f.runner().Run(context.Background(), Options{}) // four fails: its undo must not run
	before := map[string]int{"a": len(f.ran("a")), "b": len(f.ran("b"))}
	if err := f.runner().Undo(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("b")[before["b"]:]; !reflect.DeepEqual(got, []string{"echo undo-3"}) {
		t.Errorf("b ran %q during undo", got)
	}
	if got := f.ran("a")[before["a"]:]; !reflect.DeepEqual(got, []string{"echo undo-1"}) {
		t.Errorf("a ran %q during undo (undo inherits the step's hosts)", got)
	}
	recs, st := f.journal()
	if !strings.Contains(types(recs), "undo.started:three.undo undo.finished:three.undo undo.started:one.undo undo.finished:one.undo run.undone") {
		t.Errorf("undo order in journal: %s", types(recs))
	}
	if st.State("one") != StateUndone || st.Open() {
		t.Errorf("after undo: one=%s open=%v", st.State("one"), st.Open())
	}
	if err := f.runner().Undo(context.Background(), ""); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("second undo: %v, want ErrNothingToUndo", err)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	one := exec("one", "a", "echo", "it's")
	svc := &inventory.Step{ID: "stop-old", Kind: "service", Hosts: []string{"b"}, Attrs: map[string]string{"service": "legacy", "action": "stop"}}
	gate := &inventory.Step{ID: "gate", Kind: "confirm", Message: "sure?", Attrs: map[string]string{}}
	f := newFixture(t, one, svc, gate)
	r := f.runner()
	r.DryRun, r.Yes = true, false
	if err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if len(f.ran("a"))+len(f.ran("b")) != 0 || len(f.locks.log) != 0 {
		t.Errorf("dry run ran %q %q, locks %q", f.ran("a"), f.ran("b"), f.locks.log)
	}
	if _, err := os.Stat(filepath.Join(f.inv.Dir, ".berth")); !os.IsNotExist(err) {
		t.Errorf("dry run wrote a journal")
	}
	for _, want := range []string{`would run on a: echo 'it'\''s'`, "would run on b: systemctl stop -- legacy", "would ask to continue"} {
		if !strings.Contains(f.out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, f.out.String())
		}
	}
}

func TestWaitPollsUntilTheCommandSucceeds(t *testing.T) {
	f := newFixture(t, &inventory.Step{ID: "w", Kind: "wait", Hosts: []string{"a", "b"}, Command: []string{"probe"}, Attrs: map[string]string{}})
	var mu sync.Mutex
	n := 0
	f.hosts["a"].Handle("probe", func([]string, []byte) modules.Result {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n < 3 {
			return modules.Result{Stderr: []byte("not yet"), ExitCode: 1}
		}
		return modules.Result{}
	})
	f.hosts["b"].Reply("probe", "", 0)
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(f.ran("b")) != 1 {
		t.Errorf("a polled %d times (want 3), b %d (want 1: done hosts are not asked again)", n, len(f.ran("b")))
	}
	if !strings.Contains(f.out.String(), "waiting: a: exit 1: not yet") {
		t.Errorf("output does not say why it waits:\n%s", f.out.String())
	}
}

func TestWaitTimesOutAndMissingCommandFailsAtOnce(t *testing.T) {
	f := newFixture(t, &inventory.Step{ID: "w", Kind: "wait", Hosts: []string{"a"}, Command: []string{"false"}, Timeout: 20 * time.Millisecond, Attrs: map[string]string{}})
	err := f.runner().Run(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("err = %v", err)
	}
	g := newFixture(t, &inventory.Step{ID: "w", Kind: "wait", Hosts: []string{"a"}, Attrs: map[string]string{"url": "http://x/"}})
	err = g.runner().Run(context.Background(), Options{}) // the fake has no sh: exit 127, as without curl and python3
	if !errors.Is(err, errFatal) || len(g.ran("a")) != 1 {
		t.Fatalf("missing curl: err = %v after %d attempts", err, len(g.ran("a")))
	}
}

func TestBalancerStepSendsRuntimeCommands(t *testing.T) {
	st := &inventory.Step{ID: "drain", Kind: "balancer", Hosts: []string{"a"}, Attrs: map[string]string{"balancer": "edge", "stack": "web", "action": "drain"}}
	f := newFixture(t, st)
	f.hosts["lb"] = hosttest.New("lb")
	var sent []string
	sets := 0
	f.hosts["lb"].Handle("sh -c", func(argv []string, stdin []byte) modules.Result {
		sent = append(sent, argv[len(argv)-1]+" <- "+string(stdin))
		if string(stdin) == "show stat\n" {
			status := "UP"
			if sets > 1 { // the first command went to an HAProxy that a reload replaced
				status = "DRAIN"
			}
			return modules.Result{Stdout: []byte("# pxname,svname,scur,status\nweb_http,web-0,0," + status + "\n")}
		}
		sets++
		return modules.Result{Stdout: []byte("\n")}
	})
	f.inv.Hosts = append(f.inv.Hosts, &inventory.Host{Name: "lb"})
	f.inv.Balancers = []*inventory.Balancer{{Name: "edge", Hosts: []string{"lb"}, Frontends: []inventory.Frontend{{Name: "http", Stack: "web", Port: "http"}}}}
	r := f.runner()
	r.Assignment = func() (schedule.Assignment, error) {
		return schedule.Assignment{Stacks: []schedule.StackPlacement{{Name: "web", Replicas: []schedule.Replica{{Index: 0, Host: "a"}, {Index: 1, Host: "b"}}}}}, nil
	}
	if err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	set, show := "/run/haproxy/admin.sock <- set server web_http/web-0 state drain\n", "/run/haproxy/admin.sock <- show stat\n"
	if want := []string{set, show, set, show, show}; !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %q, want %q (a state HAProxy does not show is sent again, then confirmed twice)", sent, want)
	}
	if got := strings.Join(f.locks.log, ","); !strings.Contains(got, "lock lb") {
		t.Errorf("the balancer host was not locked: %s", got)
	}
	f.hosts["lb"].Reply("sh -c", "No such server.\n", 0)
	st.Attrs["action"], st.Attrs["weight"] = "weight", "50"
	err := r.Run(context.Background(), Options{New: true})
	if err == nil || !strings.Contains(err.Error(), "set server web_http/web-0 weight 50: HAProxy says: No such server.") {
		t.Errorf("HAProxy's refusal: err = %v", err)
	}
}

func TestCheckNeedsHosts(t *testing.T) {
	rb := &inventory.Runbook{Name: "rb", Steps: []*inventory.Step{
		{ID: "x", Kind: "exec", Command: []string{"true"}, Attrs: map[string]string{}},
		{ID: "y", Kind: "wait", Hosts: []string{"a"}, Command: []string{"true"}, Attrs: map[string]string{"url": "http://x"}},
	}}
	err := Check(&inventory.Inventory{}, rb)
	if err == nil || !strings.Contains(err.Error(), "step x: a exec step needs hosts") || !strings.Contains(err.Error(), "url or command, not both") {
		t.Errorf("Check: %v", err)
	}
}

func TestStatusPrintsEveryStep(t *testing.T) {
	f := newFixture(t, exec("one", "a", "echo", "1"), exec("two", "b", "false"), exec("three", "a", "echo", "3"))
	f.runner().Run(context.Background(), Options{})
	out := f.status(StatusOptions{})
	for _, want := range []string{"unfinished, resumes at two", "one    exec      done", "two    exec      failed", "three  exec      pending",
		"To resume run " + f.runIDs()[0] + " at step two: berth runbook run rb inv"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// The run released its locks: nothing to unlock.
	if strings.Contains(out, "berth unlock") {
		t.Errorf("status suggests berth unlock for locks the run released:\n%s", out)
	}
}

func (f *fixture) status(opt StatusOptions) string {
	f.t.Helper()
	runs, err := LoadRuns(Dir(f.inv.Dir, "rb"))
	if err != nil {
		f.t.Fatal(err)
	}
	opt.Invocation = Invocation{Dir: "inv"}
	var b bytes.Buffer
	if err := PrintStatus(&b, f.rb, runs, opt); err != nil {
		f.t.Fatal(err)
	}
	return b.String()
}

func (f *fixture) runIDs() []string {
	runs, err := LoadRuns(Dir(f.inv.Dir, "rb"))
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestResumeAdoptsItsOwnStaleLockOnly(t *testing.T) {
	f := newFixture(t, exec("one", "a", "false"))
	f.runner().Run(context.Background(), Options{}) // journals lock id-a for a, then fails
	me := hostlock.NewHolder("")
	busy := func(token string, pid int) Locker {
		return func(context.Context, modules.Host, string) (string, func() error, error) {
			return "", nil, &hostlock.BusyError{Host: "a", Holder: &hostlock.Holder{Who: me.Who, PID: pid, Token: token}}
		}
	}
	r := f.runner()
	r.Lock = busy("id-a", 99999999) // this run's lock, its process gone: taken over
	f.hosts["a"].Reply("false", "", 0)
	if err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatalf("resume with this run's stale lock: %v", err)
	}
	g := newFixture(t, exec("one", "a", "false"))
	g.runner().Run(context.Background(), Options{})
	for name, l := range map[string]Locker{"another run's lock": busy("other", 99999999), "a live holder": busy("id-a", os.Getpid())} {
		r := g.runner()
		r.Lock = l
		var be *hostlock.BusyError
		if err := r.Run(context.Background(), Options{}); !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want busy", name, err)
		}
	}
}

func TestStepTimeoutHoldsWhenTheTransportHangs(t *testing.T) {
	f := newFixture(t, &inventory.Step{ID: "hang", Kind: "exec", Hosts: []string{"a"}, Command: []string{"hang"}, Timeout: 50 * time.Millisecond, Attrs: map[string]string{}})
	release := make(chan struct{})
	defer close(release)
	f.hosts["a"].Handle("hang", func([]string, []byte) modules.Result { <-release; return modules.Result{} })
	err := f.runner().Run(context.Background(), Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the step's deadline", err)
	}
	if _, st := f.journal(); st.State("hang") != StateFailed {
		t.Errorf("hang is %s", st.State("hang"))
	}
}

func TestWaitURLFromThisMachine(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	f := newFixture(t, &inventory.Step{ID: "w", Kind: "wait", Attrs: map[string]string{"url": srv.URL, "status": "200"}})
	if err := f.runner().Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if n != 3 || !strings.Contains(f.out.String(), "waiting: status 503, want 200") {
		t.Errorf("%d requests, output:\n%s", n, f.out.String())
	}
}

// undo undoes every step done in the series, whichever run did it; undo --run only what
// that run finished.
func TestUndoReachesEveryRunOfTheSeries(t *testing.T) {
	step := func(id, host string) *inventory.Step {
		st := exec(id, host, "echo", id)
		st.Undo = &inventory.Step{Kind: "exec", Command: []string{"echo", "undo-" + id}, Attrs: map[string]string{}}
		return st
	}
	f := newFixture(t, step("one", "a"), step("two", "a"), step("three", "a"))
	f.runner().Run(context.Background(), Options{})              // one, two, three
	f.runner().Run(context.Background(), Options{Only: "three"}) // three again, in a new run
	ids := f.runIDs()
	n := len(f.ran("a"))
	if err := f.runner().Undo(context.Background(), ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a")[n:]; !reflect.DeepEqual(got, []string{"echo undo-three"}) {
		t.Errorf("undo --run %s (the --only run) ran %q", ids[1], got)
	}
	n = len(f.ran("a"))
	if err := f.runner().Undo(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	if got := f.ran("a")[n:]; !reflect.DeepEqual(got, []string{"echo undo-two", "echo undo-one"}) {
		t.Errorf("undo --run %s (the first run, after an --only run) ran %q: three is undone already", ids[0], got)
	}
	if err := f.runner().Undo(context.Background(), ""); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("undo after everything was undone: %v", err)
	}
	if err := f.runner().Run(context.Background(), Options{}); !errors.Is(err, ErrRunClosed) {
		t.Errorf("plain run after an undo: %v, want it refused", err)
	}
	if out := f.status(StatusOptions{}); !strings.Contains(out, "Runbook rb: undone") || strings.Count(out, "undone at") != 3 {
		t.Errorf("status after undo:\n%s", out)
	}
}

// A resume, a confirm step and an undo answered by --yes are journaled as answered by the
// flag; answered on a terminal, as such.
func TestAnswersAreJournaledWithHowTheyWereGiven(t *testing.T) {
	one := exec("one", "a", "false")
	one.Undo = &inventory.Step{Kind: "exec", Command: []string{"true"}, Attrs: map[string]string{}}
	gate := &inventory.Step{ID: "gate", Kind: "confirm", Message: "ok?", Attrs: map[string]string{}}
	for _, yes := range []bool{true, false} {
		f := newFixture(t, one, gate)
		f.runner().Run(context.Background(), Options{}) // one fails
		f.hosts["a"].Reply("false", "", 0)
		r := f.runner()
		r.Yes = yes
		r.Ask = func(context.Context, string) (bool, error) { return true, nil }
		if err := r.Run(context.Background(), Options{}); err != nil {
			t.Fatal(err)
		}
		if err := r.Undo(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
		recs, _ := f.journal()
		want := map[bool]string{true: AnsweredByFlag, false: AnsweredOnTerminal}[yes]
		seen := map[string]bool{}
		for _, rec := range recs {
			switch rec.Type {
			case RecRunResumed, RecConfirmed, RecUndoRun:
				seen[rec.Type] = true
				if rec.Answer != want || strings.HasSuffix(rec.Who, "(--yes)") != yes {
					t.Errorf("yes=%v: %s journaled answer %q by %q", yes, rec.Type, rec.Answer, rec.Who)
				}
			}
		}
		if len(seen) != 3 {
			t.Errorf("yes=%v: answers journaled: %v", yes, seen)
		}
	}
}

// Env file values and sensitive variables printed by exec and wait steps are masked on the
// terminal and in the journal, and in step errors.
func TestStepOutputIsMasked(t *testing.T) {
	f := newFixture(t, exec("dump", "a", "dump"), &inventory.Step{ID: "w", Kind: "wait", Hosts: []string{"b"}, Command: []string{"probe"}, Timeout: 30 * time.Millisecond, Attrs: map[string]string{}})
	f.hosts["a"].Reply("dump", "TOKEN=canary-Vk93-value\nPIN=42\nplain line\n", 0)
	f.hosts["b"].Reply("probe", "token canary-Vk93-value rejected\n", 3)
	r := f.runner()
	r.Mask = &secret.Masker{}
	r.Mask.AddNamed("TOKEN", "canary-Vk93-value")
	r.Mask.AddNamed("PIN", "42")
	err := r.Run(context.Background(), Options{})
	if err == nil || strings.Contains(err.Error(), "canary") {
		t.Errorf("err = %v", err)
	}
	b, _ := os.ReadFile(r.journalDir() + "/" + f.runIDs()[0] + ".jsonl")
	for name, out := range map[string]string{"terminal": f.out.String(), "journal": string(b)} {
		if strings.Contains(out, "canary-Vk93") || strings.Contains(out, "PIN=42") {
			t.Errorf("%s shows a secret:\n%s", name, out)
		}
		if !strings.Contains(out, "a | TOKEN=(sensitive)") || !strings.Contains(out, "a | plain line") {
			t.Errorf("%s lost the output around the secrets:\n%s", name, out)
		}
	}
}
