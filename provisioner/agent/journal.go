package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// RunsDir keeps each run's journal on the host, one file per run (0600 in a 0700 directory):
// what the run did, step by step, as the host saw it. It is the record that outlives berth:
// after a lost connection or a killed berth, the journal says which change the host finished
// on its own and where the run stopped.
const RunsDir = "/var/lib/berth/runs"

// UnseenFile holds the summary of the last run that ended without its berth (connection
// lost, berth killed), until a later run on the host begins: plan, apply and drift show it,
// so a lost result is never silent.
const UnseenFile = RunsDir + "/unseen.json"

// runsDir is RunsDir, a variable for tests.
var runsDir = RunsDir

func unseenFile() string { return filepath.Join(runsDir, "unseen.json") }

// keepRuns is how many journals a host keeps.
const keepRuns = 30

// Journal events.
const (
	EventBegin    = "begin"    // a run takes the host (Entry.Who, Command, Lock)
	EventStart    = "start"    // a change starts (Step, Address, Op)
	EventProgress = "progress" // a command of a change the host carries out on its own
	EventDone     = "done"     // a change is carried out
	EventFailed   = "failed"   // a change failed (Text: why, as berth reports it)
	EventLost     = "lost"     // berth's session ended without saying goodbye
	EventEnd      = "end"      // the run ended (Text: how); its host lock is released
)

// Entry is one line of a run's journal.
type Entry struct {
	Time    time.Time `json:"time"`
	Run     string    `json:"run"`
	Event   string    `json:"event"`
	Step    int       `json:"step,omitempty"`
	Address string    `json:"address,omitempty"`
	Op      string    `json:"op,omitempty"`
	Text    string    `json:"text,omitempty"`
	Who     string    `json:"who,omitempty"`
	Command string    `json:"command,omitempty"`
	// Lock is the token of the host lock the run holds, so that the host can release it
	// when the run ends without its berth.
	Lock string `json:"lock,omitempty"`
}

var runID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$`)

// JournalPath is the journal of run id.
func JournalPath(id string) (string, error) {
	if !runID.MatchString(id) {
		return "", fmt.Errorf("bad run id %q", id)
	}
	return filepath.Join(runsDir, id+".jsonl"), nil
}

// appendEntry adds one line to the run's journal. Lines are written with one write on an
// O_APPEND file, so the agent and a job process can both append.
func appendEntry(e Entry) error {
	p, err := JournalPath(e.Run)
	if err != nil {
		return err
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := os.MkdirAll(runsDir, 0o700); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	b, _ := json.Marshal(e)
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", p, err)
	}
	return nil
}

// pruneJournals keeps the newest keepRuns journals.
func pruneJournals() {
	ms, _ := filepath.Glob(filepath.Join(runsDir, "*.jsonl"))
	if len(ms) <= keepRuns {
		return
	}
	type aged struct {
		p string
		t time.Time
	}
	var all []aged
	for _, m := range ms {
		if st, err := os.Stat(m); err == nil {
			all = append(all, aged{m, st.ModTime()})
		}
	}
	for len(all) > keepRuns {
		old := 0
		for i := range all {
			if all[i].t.Before(all[old].t) {
				old = i
			}
		}
		os.Remove(all[old].p)
		all = append(all[:old], all[old+1:]...)
	}
}

// writeUnseen records how a run that lost its berth ended (see UnseenFile).
func writeUnseen(e Entry) {
	b, _ := json.Marshal(e)
	tmp := unseenFile() + ".new"
	if os.WriteFile(tmp, append(b, '\n'), 0o600) == nil {
		os.Rename(tmp, unseenFile())
	}
}

// UnseenText reads UnseenFile's content: "" when there is none.
func UnseenText(host string, b []byte) string {
	var e Entry
	if len(b) == 0 || json.Unmarshal(b, &e) != nil {
		return ""
	}
	return fmt.Sprintf("the last run on this host (%s) ended without its berth at %s: %s; its journal: berth runs %s %s",
		e.Run, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Text, host, e.Run)
}

// closeCutRun ends, on the host's behalf, a run that stopped with no one to end it: its
// journal's last entry is not an end, and no berth holds the host's lock any more (a reboot
// clears /run; a killed agent and job leave the lock to their berth, which would have ended
// the run). The agent does it at the start of every session, before berth looks at the
// host, so the next plan shows where that run stopped.
func closeCutRun() {
	if _, err := os.Stat(lockDir); err == nil || !errors.Is(err, os.ErrNotExist) {
		return
	}
	ms, _ := filepath.Glob(filepath.Join(runsDir, "*.jsonl"))
	newest, at := "", time.Time{}
	for _, m := range ms {
		if st, err := os.Stat(m); err == nil && st.ModTime().After(at) {
			newest, at = m, st.ModTime()
		}
	}
	if newest == "" {
		return
	}
	last, ok := lastEntry(newest)
	if !ok || last.Event == EventEnd {
		return
	}
	what := last.Event
	if last.Step > 0 {
		what = fmt.Sprintf("%s of step %d (%s %s)", last.Event, last.Step, last.Address, last.Op)
	}
	e := Entry{Run: last.Run, Event: EventEnd, Time: time.Now().UTC(),
		Text: fmt.Sprintf("the run was cut (the host rebooted, or berth and the agent were killed): its last entry is the %s at %s", what, last.Time.UTC().Format("15:04:05Z"))}
	appendEntry(e)
	writeUnseen(e)
}

// lastEntry reads the last line of a journal.
func lastEntry(p string) (Entry, bool) {
	b, err := os.ReadFile(p)
	if err != nil {
		return Entry{}, false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var e Entry
	if json.Unmarshal([]byte(lines[len(lines)-1]), &e) != nil || e.Run == "" {
		return Entry{}, false
	}
	return e, true
}
