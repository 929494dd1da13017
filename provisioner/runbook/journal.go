package runbook

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Record types of the journal, one JSON object per line.
const (
	RecRunStarted   = "run.started"
	RecRunResumed   = "run.resumed"
	RecRunFinished  = "run.finished"
	RecRunStopped   = "run.stopped" // a step failed, or the run was interrupted
	RecRunAbandoned = "run.abandoned"
	RecLocked       = "locks.taken"
	RecReleased     = "locks.released" // the locks this process released (a crash leaves none)
	RecStepStarted  = "step.started"
	RecStepDone     = "step.finished"
	RecStepFailed   = "step.failed"
	RecConfirmed    = "confirmed"
	RecUndoStarted  = "undo.started"
	RecUndoDone     = "undo.finished"
	RecUndoFailed   = "undo.failed"
	RecUndoFinished = "run.undone"
	RecUndoRun      = "undo.run" // an undo starts (who, and how the question was answered)
)

// Answers, as journaled: who answered a question (resume, confirm, undo).
const (
	AnsweredByFlag     = "--yes"
	AnsweredOnTerminal = "terminal"
)

// Record is one line of a journal.
type Record struct {
	Time time.Time `json:"time"`
	Type string    `json:"type"`
	// Who ran berth (user@machine), from which directory, with which berth and inventory:
	// set on run.started, run.resumed and undo runs.
	Who           string `json:"who,omitempty"`
	From          string `json:"from,omitempty"`
	Version       string `json:"version,omitempty"`
	InventoryHash string `json:"inventory_hash,omitempty"`
	Runbook       string `json:"runbook,omitempty"`
	Run           string `json:"run,omitempty"`
	// Scope says which steps a run was started for ("all", "--from ID", "--only ID"), Steps
	// lists them: set on run.started.
	Scope string   `json:"scope,omitempty"`
	Steps []string `json:"steps,omitempty"`
	// Answer says how a question was answered: AnsweredByFlag or AnsweredOnTerminal.
	Answer  string   `json:"answer,omitempty"`
	Step    string   `json:"step,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Hosts   []string `json:"hosts,omitempty"`
	Message string   `json:"message,omitempty"`
	Output  string   `json:"output,omitempty"`
	Error   string   `json:"error,omitempty"`
	Seconds float64  `json:"seconds,omitempty"`
	// Locks maps host -> lock id, so a crashed run's locks can be removed with berth unlock.
	Locks map[string]string `json:"locks,omitempty"`
}

// maxOutput bounds the output kept per step in the journal; the tail is kept.
const maxOutput = 64 << 10

// Journal is an append-only JSONL file. Each Append is written and synced before it returns.
type Journal struct {
	mu   sync.Mutex
	path string
	run  string
	f    *os.File
}

// Dir is where the journals of runbook name live, beside the inventory.
func Dir(inventoryDir, name string) string {
	return filepath.Join(inventoryDir, ".berth", "runs", name)
}

// NewRunID names a run after its start time (to the microsecond, so that names sort in start
// order, which is how Latest finds the last run), with a random suffix against clashes.
func NewRunID(now time.Time) string {
	return now.UTC().Format("20060102T150405.000000Z") + "-" + randomHex(3)
}

// Create starts a new journal file for run id in dir (created 0700: journals name hosts and
// hold command output).
func Create(dir, id string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal directory %s: %w", dir, err)
	}
	return open(filepath.Join(dir, id+".jsonl"), id, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND)
}

// Reopen continues an existing journal (a resumed run). A last line cut by a crash is
// removed first: appended to, it would no longer be the last line, and the journal could not
// be read.
func Reopen(path string) (*Journal, error) {
	if err := dropCutLine(path); err != nil {
		return nil, err
	}
	id := strings.TrimSuffix(filepath.Base(path), ".jsonl")
	return open(path, id, os.O_WRONLY|os.O_APPEND)
}

func dropCutLine(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	body := bytes.TrimRight(b, "\n")
	last := body[bytes.LastIndexByte(body, '\n')+1:]
	if len(last) == 0 || json.Valid(last) {
		return nil
	}
	if err := os.Truncate(path, int64(len(body)-len(last))); err != nil {
		return fmt.Errorf("journal %s: remove the line cut by a crash: %w", path, err)
	}
	return nil
}

func open(path, id string, flag int) (*Journal, error) {
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &Journal{path: path, run: id, f: f}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// RunID is the run the journal records.
func (j *Journal) RunID() string { return j.run }

// Append writes r as one line and syncs it to disk.
func (j *Journal) Append(r Record) error {
	if j == nil {
		return nil // dry runs keep no journal
	}
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	r.Run = j.run
	r.Output = tail(r.Output, maxOutput)
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: sync: %w", j.path, err)
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "(output cut, last part follows)\n" + s[len(s)-n:]
}

// Read reads every record of a journal. A last line cut by a crash is ignored; any other
// line that does not parse is an error naming the file and line.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 4*maxOutput+(1<<20))
	var bad error
	for n := 1; sc.Scan(); n++ {
		if bad != nil {
			return nil, bad // a bad line that was not the last one
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad = fmt.Errorf("journal %s:%d: %w", path, n, err)
			continue
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return out, nil
}

// Journals lists the journal files of a runbook, oldest first (run IDs sort by time).
func Journals(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(m)
	return m, nil
}

// Latest returns the newest journal of a runbook, or "" when it never ran.
func Latest(dir string) (string, error) {
	js, err := Journals(dir)
	if err != nil || len(js) == 0 {
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return "", err
	}
	return js[len(js)-1], nil
}
