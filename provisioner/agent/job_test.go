package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
)

// The test binary doubles as the job process: the agent starts os.Executable() with
// `agent --job FILE`, as it starts berth or berth-agent on a host.
func TestMain(m *testing.M) {
	jobKinds["test"] = func(ctx context.Context, h modules.Host, data []byte) error {
		res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-c", string(data)}})
		if err == nil && res.ExitCode != 0 {
			return &exitError{res.ExitCode}
		}
		return err
	}
	if d := os.Getenv("BERTH_TEST_RUNS"); d != "" {
		runsDir, lockDir = d, filepath.Join(d, "lock")
	}
	if len(os.Args) == 4 && os.Args[1] == "agent" && os.Args[2] == "--job" {
		if err := RunJobFile(os.Args[3]); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type exitError struct{ code int }

func (e *exitError) Error() string { return "exit " + string(rune('0'+e.code)) }

func testRuns(t *testing.T) string {
	d := t.TempDir()
	t.Setenv("BERTH_TEST_RUNS", d)
	old, oldLock := runsDir, lockDir
	runsDir, lockDir = d, filepath.Join(d, "lock")
	t.Cleanup(func() { runsDir, lockDir = old, oldLock })
	return d
}

func journalOf(t *testing.T, dir, run string) []Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, run+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		es = append(es, e)
	}
	return es
}

// A job berth handed to the host finishes when berth goes away in the middle of it; the host
// then ends the run: the lock released, the journal and the unseen summary say what happened.
func TestAJobOutlivesBerth(t *testing.T) {
	dir := testRuns(t)
	os.MkdirAll(lockDir, 0o700)
	os.WriteFile(filepath.Join(lockDir, "token"), []byte("tok\n"), 0o600)
	marker := filepath.Join(dir, "finished")
	s := startSession(t)
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r1", Event: EventBegin, Lock: "tok", Who: "ops@laptop"}})
	s.read()
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r1", Event: EventStart, Step: 1, Address: "stack.web", Op: "deploy"}})
	s.read()
	s.send(Request{Op: OpJob, Job: &Job{Kind: "test", Title: "stack.web deploy", Host: "h1", Data: []byte("sleep 1; touch " + marker)}})
	go func() {
		for s.out.Scan() {
		}
	}()
	time.Sleep(300 * time.Millisecond)
	s.in.Close() // berth is gone
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not end")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the job did not finish: %v", err)
	}
	if _, err := os.Stat(lockDir); !os.IsNotExist(err) {
		t.Errorf("the run's lock is still held: %v", err)
	}
	var events []string
	for _, e := range journalOf(t, dir, "r1") {
		if e.Event != EventProgress {
			events = append(events, e.Event)
		}
	}
	if got, want := strings.Join(events, " "), "begin start lost done end"; got != want {
		t.Errorf("journal events %q, want %q", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "unseen.json"))
	if err != nil || !strings.Contains(string(b), "during step 1 (stack.web deploy), which the host carried on: done") || !strings.Contains(string(b), "host lock released") {
		t.Errorf("unseen summary %q (%v)", b, err)
	}
	if ms, _ := filepath.Glob(filepath.Join(dir, "*.job")); len(ms) > 0 {
		t.Errorf("job input left on the host: %v", ms)
	}
}

// While berth stays, it gets the job's outcome, and the host does not end the run for it.
func TestAJobReportsItsOutcome(t *testing.T) {
	dir := testRuns(t)
	s := startSession(t)
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r2", Event: EventBegin, Lock: "tok"}})
	s.read()
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r2", Event: EventStart, Step: 3, Address: "stack.web", Op: "deploy"}})
	s.read()
	var final Response
	id := s.send(Request{Op: OpJob, Job: &Job{Kind: "test", Title: "t", Data: []byte("exit 3")}})
	for {
		r := s.read()
		if r.ID == id && r.Out == nil {
			final = r
			break
		}
	}
	if final.Error != "" || final.Job == nil || final.Job.Error != "exit 3" {
		t.Fatalf("job answer %+v", final)
	}
	s.send(Request{Op: OpBye})
	s.read()
	for _, e := range journalOf(t, dir, "r2") {
		if e.Event == EventEnd || e.Event == EventLost {
			t.Errorf("the host ended a run its berth still had: %+v", e)
		}
	}
}

// A run cut by a reboot (no lock any more, no end in its journal) is ended by the next
// session's agent, and kept for the next berth to show.
func TestACutRunIsEndedByTheNextSession(t *testing.T) {
	dir := testRuns(t)
	appendEntry(Entry{Run: "r3", Event: EventBegin})
	appendEntry(Entry{Run: "r3", Event: EventStart, Step: 2, Address: "stack.web", Op: "deploy"})
	closeCutRun()
	es := journalOf(t, dir, "r3")
	if last := es[len(es)-1]; last.Event != EventEnd || !strings.Contains(last.Text, "start of step 2 (stack.web deploy)") {
		t.Fatalf("last entry %+v", last)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "unseen.json"))
	if !strings.Contains(UnseenText("h1", b), "the run was cut") {
		t.Errorf("unseen %q", b)
	}
	closeCutRun() // ended once only
	if n := len(journalOf(t, dir, "r3")); n != len(es) {
		t.Errorf("ended again: %d entries", n)
	}
	// While a berth holds the lock, its run is not cut.
	appendEntry(Entry{Run: "r4", Event: EventBegin})
	os.MkdirAll(lockDir, 0o700)
	closeCutRun()
	if es := journalOf(t, dir, "r4"); es[len(es)-1].Event == EventEnd {
		t.Error("a run holding the lock was ended")
	}
}

// A job process killed half way (a shutdown, an OOM kill) has no outcome of its own: the
// agent says so to berth and in the journal.
func TestAKilledJobIsJournaledAsCut(t *testing.T) {
	dir := testRuns(t)
	s := startSession(t)
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r5", Event: EventBegin}})
	s.read()
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r5", Event: EventStart, Step: 1, Address: "stack.web", Op: "deploy"}})
	s.read()
	id := s.send(Request{Op: OpJob, Job: &Job{Kind: "test", Title: "t", Data: []byte("kill -9 $PPID; sleep 5")}})
	var final Response
	for final.ID != id {
		if r := s.read(); r.Out == nil {
			final = r
		}
	}
	if !strings.Contains(final.Error, "the change was cut half way") {
		t.Fatalf("answer %+v", final)
	}
	es := journalOf(t, dir, "r5")
	if last := es[len(es)-1]; last.Event != EventFailed || last.Step != 1 || !strings.Contains(last.Text, "cut half way") {
		t.Errorf("journal ends with %+v", last)
	}
}

// berth may stop following a job (a second Ctrl-C) and then go: the host still ends the run
// only once the job is done, so its lock is never free while the job runs.
func TestARunEndsAfterAJobBerthStoppedFollowing(t *testing.T) {
	dir := testRuns(t)
	os.MkdirAll(lockDir, 0o700)
	os.WriteFile(filepath.Join(lockDir, "token"), []byte("tok\n"), 0o600)
	marker := filepath.Join(dir, "finished")
	s := startSession(t)
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r6", Event: EventBegin, Lock: "tok"}})
	s.read()
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r6", Event: EventStart, Step: 1, Address: "stack.web", Op: "deploy"}})
	s.read()
	id := s.send(Request{Op: OpJob, Job: &Job{Kind: "test", Title: "t", Data: []byte("sleep 1; touch " + marker)}})
	time.Sleep(200 * time.Millisecond)
	s.send(Request{Op: OpCancel, Target: id})
	for r := s.read(); r.ID != id || r.Out != nil; r = s.read() {
	}
	s.send(Request{Op: OpJournal, Entry: &Entry{Run: "r6", Event: EventFailed, Step: 1, Address: "stack.web", Op: "deploy", Text: "stopped waiting"}})
	s.read()
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the job was over before berth stopped following it: the test proves nothing")
	}
	go func() {
		for s.out.Scan() {
		}
	}()
	s.in.Close()
	<-s.done
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the run ended before its job: %v", err)
	}
	if _, err := os.Stat(lockDir); !os.IsNotExist(err) {
		t.Errorf("lock still held after the run ended: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "unseen.json"))
	if !strings.Contains(string(b), "which the host carried on: done") {
		t.Errorf("unseen %q", b)
	}
}
