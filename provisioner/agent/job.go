package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/docker"
	"github.com/berth-dev/berth/modules/stack"
)

// A job is a change the host carries out on its own (modules.Detacher): the agent starts it
// as a process of its own session (setsid: no signal meant for the SSH session or for berth
// reaches it), with its input in a 0600 file and its output in the run's journal, never in a
// pipe whose reader could go away. The agent follows the journal and relays the job's lines
// to berth; when berth goes away the job does not notice, finishes (or rolls back), and the
// last of the job and the agent to end releases the host lock.

// jobKinds are the changes a host knows how to carry out on its own.
var jobKinds = map[string]func(ctx context.Context, h modules.Host, data []byte) error{
	stack.JobKind:  stack.RunJob,
	docker.JobKind: docker.RunJob,
}

// Job is a job on the wire.
type Job struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Host  string `json:"host"` // the inventory's name of the host, for messages
	Data  []byte `json:"data"`
}

// JobEnd is a job's outcome: Error is empty when the change was carried out.
type JobEnd struct {
	Error string `json:"error,omitempty"`
}

// jobFile is what the job process reads (and removes) at its start.
type jobFile struct {
	Job
	Run      string `json:"run"`
	Step     int    `json:"step"`
	Address  string `json:"address"`
	Op       string `json:"op"`
	Lock     string `json:"lock"`
	AgentPID int    `json:"agent_pid"`
}

// jobPoll is how often the agent looks at the journal of a job it follows.
const jobPoll = 200 * time.Millisecond

// job starts a job for the current step of the session's run and follows it to its end.
func (s *server) job(ctx context.Context, req *Request, send func(Output)) (*JobEnd, error) {
	j := req.Job
	if j == nil || jobKinds[j.Kind] == nil {
		return nil, errors.New("job: unknown kind")
	}
	s.mu.Lock()
	r := s.run
	s.mu.Unlock()
	if r == nil || !r.inStep {
		return nil, errors.New("job: no change of a run is in progress (journal begin and start first)")
	}
	jp, err := JournalPath(r.id)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(runsDir, r.id+"."+strconv.Itoa(r.step))
	jf := jobFile{Job: *j, Run: r.id, Step: r.step, Address: r.address, Op: r.op, Lock: r.lock, AgentPID: os.Getpid()}
	b, _ := json.Marshal(jf)
	if err := os.WriteFile(base+".job", b, 0o600); err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	log, err := os.OpenFile(base+".log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		os.Remove(base + ".job")
		return nil, fmt.Errorf("job: %w", err)
	}
	defer log.Close()
	from := fileSize(jp)
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	cmd := exec.Command(exe, "agent", "--job", base+".job")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		os.Remove(base + ".job")
		return nil, fmt.Errorf("job: start: %w", err)
	}
	markJob(r.lock, cmd.Process.Pid)
	s.mu.Lock()
	r.jobStep = r.step
	s.mu.Unlock()
	exited := make(chan error, 1)
	s.jobs.Add(1)
	go func() { exited <- cmd.Wait(); s.jobs.Done() }()
	end, err := follow(ctx, jp, from, r.step, exited, send)
	if err != nil && ctx.Err() == nil {
		// The job process died without an outcome (killed, the host shutting down): the
		// journal says so, since nobody else will.
		appendEntry(Entry{Run: r.id, Event: EventFailed, Step: r.step, Address: r.address, Op: r.op, Text: err.Error()})
	}
	return end, err
}

// follow relays the job's journal lines of step from offset from until the step's outcome.
// A job process that ends without one (killed) is reported, and journaled, as failed.
func follow(ctx context.Context, jp string, from int64, step int, exited <-chan error, send func(Output)) (*JobEnd, error) {
	var gone error
	dead := false
	for {
		f, err := os.Open(jp)
		if err == nil {
			f.Seek(from, io.SeekStart)
			rd := bufio.NewReader(f)
			for {
				line, err := rd.ReadBytes('\n')
				if err != nil {
					break // a partial line is read again next time
				}
				from += int64(len(line))
				var e Entry
				if json.Unmarshal(line, &e) != nil || e.Step != step {
					continue
				}
				switch e.Event {
				case EventProgress:
					send(Output{Stream: "journal", Data: line})
				case EventDone, EventFailed:
					f.Close()
					return &JobEnd{Error: e.Text}, nil
				}
			}
			f.Close()
		}
		if dead {
			why := "the job process ended without an outcome: the change was cut half way"
			if gone != nil {
				why += " (" + gone.Error() + ")"
			}
			return nil, errors.New(why)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped following the job; the host carries it on: %w", ctx.Err())
		case gone = <-exited:
			dead = true // read what it wrote last, then report
		case <-time.After(jobPoll):
		}
	}
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// RunJobFile is the job process (`agent --job FILE`): it reads and removes its input,
// carries the change out on a context nothing can cancel, journals the outcome, and
// releases the run's host lock when the agent that started it is gone (berth lost it).
func RunJobFile(path string) error {
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	b, err := os.ReadFile(path)
	os.Remove(path)
	if err != nil {
		return fmt.Errorf("job: %w", err)
	}
	var jf jobFile
	if err := json.Unmarshal(b, &jf); err != nil {
		return fmt.Errorf("job %s: %w", path, err)
	}
	note := func(ev, text string) {
		appendEntry(Entry{Run: jf.Run, Event: ev, Step: jf.Step, Address: jf.Address, Op: jf.Op, Text: text})
	}
	fn := jobKinds[jf.Kind]
	if fn == nil {
		note(EventFailed, "unknown job kind "+jf.Kind)
		return nil
	}
	h := &localHost{name: jf.Host, note: func(s string) { note(EventProgress, s) }}
	// SIGTERM is the host shutting down (or an operator's kill): the change is cut where it
	// is, and the journal says so before the process goes.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		note(EventFailed, "cut half way by SIGTERM (the host shutting down?): the next apply converges it")
		os.Exit(1)
	}()
	err = fn(context.Background(), h, jf.Data)
	if err != nil {
		note(EventFailed, err.Error())
	} else {
		note(EventDone, "")
	}
	if os.Getppid() != jf.AgentPID {
		endLost(jf.Run, jf.Lock, fmt.Sprintf("berth and its agent were gone; the host finished step %d (%s %s) on its own: %s", jf.Step, jf.Address, jf.Op, outcome(err)))
	}
	return nil
}

func outcome(err error) string {
	if err == nil {
		return "done"
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return "failed: " + first
}

// endLost ends a run whose berth went away: the lock released (if it is still the run's),
// the end journaled and kept for the next berth to show.
func endLost(run, lock, text string) {
	if lock != "" {
		if err := unlock(lock); err != nil {
			text += "; releasing the host lock failed: " + err.Error()
		} else {
			text += "; host lock released"
		}
	}
	e := Entry{Run: run, Event: EventEnd, Text: text, Time: time.Now().UTC()}
	appendEntry(e)
	writeUnseen(e)
}

// HostLockDir is the host lock's directory (hostlock.DefaultDir): the agent takes and
// releases it for berth (DoLock), and releases it itself for a run whose berth is gone.
const HostLockDir = "/run/berth/lock"

// lockDir is HostLockDir, a variable for tests.
var lockDir = HostLockDir

// unlock removes the host lock if it still holds token, as hostlock.Unlock does over a
// connection. The rename makes the removal atomic for a berth polling the lock.
func unlock(token string) error {
	have, err := os.ReadFile(filepath.Join(lockDir, "token"))
	if errors.Is(err, os.ErrNotExist) {
		return nil // released already
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(have)) != token {
		return nil // another run's lock now
	}
	gone := lockDir + ".released." + strconv.Itoa(os.Getpid())
	if err := os.Rename(lockDir, gone); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

// markLock tells a berth that finds the run's lock busy that its holder is gone and the host
// finishes on its own (hostlock.LostFile; removed with the lock).
func markLock(token string, e Entry) {
	have, err := os.ReadFile(filepath.Join(lockDir, "token"))
	if err != nil || strings.TrimSpace(string(have)) != token {
		return
	}
	b, _ := json.Marshal(e)
	os.WriteFile(filepath.Join(lockDir, "lost.json"), b, 0o644)
}

// stepOutcome is how step ended according to the run's journal: "done", "failed: WHY" (first
// line), or "" when the journal has no outcome for it.
func stepOutcome(run string, step int) string {
	p, err := JournalPath(run)
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	out := ""
	for _, line := range strings.Split(string(b), "\n") {
		var e Entry
		if json.Unmarshal([]byte(line), &e) != nil || e.Step != step {
			continue
		}
		switch e.Event {
		case EventDone:
			out = "done"
		case EventFailed:
			first, _, _ := strings.Cut(e.Text, "\n")
			out = "failed: " + first
		}
	}
	return out
}

// markJob records in the run's lock the pid of the job the host now carries out, so that no
// berth takes the lock for stale while it lives (hostlock's acquire script checks it).
func markJob(token string, pid int) {
	have, err := os.ReadFile(filepath.Join(lockDir, "token"))
	if err != nil || strings.TrimSpace(string(have)) != token {
		return
	}
	os.WriteFile(filepath.Join(lockDir, "job.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644)
}
