package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// server is one agent session: requests in, answers out, one goroutine per request.
type server struct {
	enc     *json.Encoder
	wmu     sync.Mutex
	mu      sync.Mutex
	cancels map[uint64]context.CancelFunc
	wg      sync.WaitGroup
	// run is the run berth journals through this session (see journal.go); nil outside one.
	run *sessionRun
	// jobs counts the job processes this session started that still run: berth may have
	// stopped following one (a second Ctrl-C) while the host carries it on.
	jobs sync.WaitGroup
}

// sessionRun is where the session's run is, so that the host can finish it without berth.
type sessionRun struct {
	id, lock    string
	step        int
	address, op string
	inStep      bool
	jobStep     int // the last step handed to a job, which the host carries on regardless
}

// Serve speaks the protocol on in/out until bye, the end of in, or ctx's end. It refuses a
// session that does not start with hello of this Version. Requests in flight at bye or at
// ctx's end are cancelled (their commands killed) and awaited. When in ends without bye,
// berth is gone (killed, interrupted, cut off): requests in flight are not cancelled but
// finish, so the host never stops a change half way, and a run berth had begun is ended
// on its behalf (see lost).
func Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	ctx, cancelAll := context.WithCancel(ctx)
	s := &server{enc: json.NewEncoder(out), cancels: map[uint64]context.CancelFunc{}}
	defer func() { cancelAll(); s.wg.Wait() }()
	r := bufio.NewReaderSize(in, 64<<10)
	first, err := readRequest(r)
	if err != nil {
		return fmt.Errorf("agent: read hello: %w", err)
	}
	if err := s.hello(first); err != nil {
		return err
	}
	for {
		req, err := readRequest(r)
		if errors.Is(err, io.EOF) {
			s.lost()
			return nil
		}
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		if req.Op == OpBye {
			cancelAll()
			s.wg.Wait()
			s.send(Response{ID: req.ID})
			return nil
		}
		s.dispatch(ctx, req)
	}
}

// readRequest reads one line, refusing lines over MaxLine.
func readRequest(r *bufio.Reader) (*Request, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			return nil, fmt.Errorf("request longer than %d bytes", MaxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
			return nil, err
		}
		break
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	return &req, nil
}

func (s *server) hello(req *Request) error {
	if req.Op != OpHello || req.Version != Version {
		err := fmt.Errorf("agent speaks protocol version %d, got %s version %d", Version, req.Op, req.Version)
		s.send(Response{ID: req.ID, Error: err.Error()})
		return err
	}
	if os.Getuid() == 0 {
		closeCutRun()
	}
	exe, _ := os.Readlink("/proc/self/exe")
	s.send(Response{ID: req.ID, Hello: &Hello{Version: Version, PID: os.Getpid(), UID: os.Getuid(), Exe: exe}})
	return nil
}

// dispatch runs one request in its own goroutine; cancel is handled at once.
func (s *server) dispatch(ctx context.Context, req *Request) {
	if req.Op == OpJournal {
		// In order with the requests that follow: a job needs the step journaled before it.
		resp := Response{ID: req.ID}
		if err := s.journal(req.Entry); err != nil {
			resp.Error = err.Error()
		}
		s.send(resp)
		return
	}
	if req.Op == OpLock || req.Op == OpUnlock {
		// In order too: requests sent after a lock run under it, and a lock taken after a
		// release sees it released.
		s.send(lockResponse(req))
		return
	}
	if req.Op == OpCancel {
		s.mu.Lock()
		if c := s.cancels[req.Target]; c != nil {
			c()
		}
		s.mu.Unlock()
		return
	}
	rctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancels[req.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		resp := s.handle(rctx, req)
		s.mu.Lock()
		delete(s.cancels, req.ID)
		s.mu.Unlock()
		cancel()
		resp.ID = req.ID
		s.send(resp)
	}()
}

func (s *server) handle(ctx context.Context, req *Request) Response {
	var resp Response
	var err error
	switch req.Op {
	case OpObserve:
		resp.Results, err = observe(ctx, req.Probes)
	case OpRun:
		if req.Run == nil || len(req.Run.Argv) == 0 {
			err = errors.New("run: empty command")
			break
		}
		resp.Run, err = run(ctx, req.Run, func(o Output) { s.send(Response{ID: req.ID, Out: &o}) })
	case OpJob:
		resp.Job, err = s.job(ctx, req, func(o Output) { s.send(Response{ID: req.ID, Out: &o}) })
	case OpWrites:
		resp.Done, err = writeAll(ctx, req.Writes)
	default:
		err = fmt.Errorf("unknown operation %q", req.Op)
	}
	if err != nil {
		resp = Response{Error: err.Error(), Done: resp.Done}
	}
	return resp
}

// send writes one line; answers of concurrent requests never interleave.
func (s *server) send(r Response) {
	if r.Out == nil {
		r.PeakRSS = PeakRSS()
		r.CPU, r.ChildCPU = CPU()
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.enc.Encode(r)
}

// journal appends berth's entry to its run's journal and follows where the run is.
func (s *server) journal(e *Entry) error {
	if e == nil {
		return errors.New("journal: no entry")
	}
	s.mu.Lock()
	switch e.Event {
	case EventBegin:
		s.run = &sessionRun{id: e.Run, lock: e.Lock}
		os.Remove(unseenFile()) // this berth has shown it (plan comes before apply)
	case EventStart:
		if s.run != nil {
			s.run.step, s.run.address, s.run.op, s.run.inStep = e.Step, e.Address, e.Op, true
		}
	case EventDone, EventFailed:
		if s.run != nil {
			s.run.inStep = false
		}
	case EventEnd:
		s.run = nil
	}
	s.mu.Unlock()
	if e.Event == EventBegin {
		pruneJournals()
	}
	return appendEntry(*e)
}

// lost handles the end of berth's session without bye: requests in flight finish (a job's
// follower ends with its job), then a run still open is ended: its lock released, and the
// journal and the unseen summary say where it stopped.
func (s *server) lost() {
	s.mu.Lock()
	r := s.run
	s.mu.Unlock()
	if r == nil {
		s.wg.Wait()
		s.jobs.Wait()
		return
	}
	where := fmt.Sprintf("after step %d (%s %s)", r.step, r.address, r.op)
	if r.inStep {
		where = fmt.Sprintf("during step %d (%s %s); the host finishes that change", r.step, r.address, r.op)
	}
	lost := Entry{Run: r.id, Event: EventLost, Text: "berth's connection ended " + where, Time: time.Now().UTC()}
	appendEntry(lost)
	markLock(r.lock, lost)
	s.wg.Wait()
	s.jobs.Wait() // a job berth stopped following ends before the run does
	s.mu.Lock()
	r = s.run
	s.mu.Unlock()
	if r == nil {
		return
	}
	text := "berth's connection ended " + fmt.Sprintf("after step %d (%s %s)", r.step, r.address, r.op)
	if r.inStep || (r.step > 0 && r.jobStep == r.step) {
		how := stepOutcome(r.id, r.step)
		if how == "" {
			how = "no outcome journaled (cut with the agent: the host shutting down?)"
		}
		text = fmt.Sprintf("berth's connection ended during step %d (%s %s), which the host carried on: %s", r.step, r.address, r.op, how)
	}
	if r.step == 0 {
		text = "berth's connection ended before any change"
	}
	endLost(r.id, r.lock, text+"; later changes did not run")
}

// lockResponse carries out a lock or unlock request.
func lockResponse(req *Request) Response {
	resp := Response{ID: req.ID}
	if req.Lock == nil {
		resp.Error = req.Op + ": no lock"
		return resp
	}
	a, err := DoLock(req.Op, req.Lock)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	resp.Lock = &a
	return resp
}
