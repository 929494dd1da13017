package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/integration/testbed"
)

// Integration tests run against real hosts of the test bed (package testbed, docs/testbed.md)
// and only when BERTH_INTEGRATION=1. With it set, a bed that cannot start fails the test: it
// never skips.

// TestMain runs the tests, then closes every bed still up (the shared ones). SIGINT and SIGTERM
// close them too before exiting, so nothing outlives the run; what a killed binary leaves
// behind is reaped by the next testbed.Start.
func TestMain(m *testing.M) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "integration: %v: removing test beds\n", s)
		beds.closeAll()
		os.Exit(1)
	}()
	code := m.Run()
	signal.Stop(sig)
	beds.closeAll()
	os.Exit(code)
}

func requireIntegration(t *testing.T) {
	t.Helper()
	if os.Getenv("BERTH_INTEGRATION") != "1" {
		t.Skip("integration test: set BERTH_INTEGRATION=1 (needs root, apt and Docker on this machine)")
	}
}

// bedStartTimeout bounds a cold start: debootstrap and image builds take minutes.
const bedStartTimeout = 20 * time.Minute

// sharedBed returns the bed for spec (see testbed.ParseSpec: "bookworm:2",
// "mixed-docker:3+registry"), started on first use and shared by every test of this binary
// asking for the same spec; TestMain closes it. Tests sharing a bed must leave its hosts as
// they found them (undo faults, remove stacks); a test that breaks hosts uses startBed. If the
// bed failed to start, every test asking for it fails with that error.
func sharedBed(t *testing.T, spec string) *testbed.Bed {
	t.Helper()
	requireIntegration(t)
	e := beds.shared(spec)
	e.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), bedStartTimeout)
		defer cancel()
		e.bed, e.err = startSpec(ctx, spec, logOutput())
		if e.err == nil {
			beds.add(e.bed)
		}
	})
	if e.err != nil {
		t.Fatalf("test bed %q: %v", spec, e.err)
	}
	return e.bed
}

// startBed starts a bed of the test's own, removed when the test ends (pass or fail).
func startBed(t *testing.T, spec string) *testbed.Bed {
	t.Helper()
	requireIntegration(t)
	ctx, cancel := context.WithTimeout(context.Background(), bedStartTimeout)
	defer cancel()
	b, err := startSpec(ctx, spec, logOutput())
	if err != nil {
		t.Fatalf("test bed %q: %v", spec, err)
	}
	beds.add(b)
	t.Cleanup(func() { beds.close(b) })
	return b
}

func startSpec(ctx context.Context, spec string, log io.Writer) (*testbed.Bed, error) {
	opts, err := testbed.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	opts.Log = log
	return testbed.Start(ctx, opts)
}

// logOutput shows the bed's progress and timings with go test -v.
func logOutput() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return nil
}

// beds tracks every bed this binary started, for TestMain and the signal handler.
var beds = &bedSet{live: map[*testbed.Bed]bool{}, bySpec: map[string]*sharedEntry{}}

type bedSet struct {
	mu     sync.Mutex
	live   map[*testbed.Bed]bool
	bySpec map[string]*sharedEntry
}

type sharedEntry struct {
	once sync.Once
	bed  *testbed.Bed
	err  error
}

func (s *bedSet) shared(spec string) *sharedEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bySpec[spec] == nil {
		s.bySpec[spec] = &sharedEntry{}
	}
	return s.bySpec[spec]
}

func (s *bedSet) add(b *testbed.Bed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[b] = true
}

func (s *bedSet) close(b *testbed.Bed) {
	s.mu.Lock()
	live := s.live[b]
	delete(s.live, b)
	s.mu.Unlock()
	if live {
		if err := b.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		}
	}
}

func (s *bedSet) closeAll() {
	s.mu.Lock()
	var all []*testbed.Bed
	for b := range s.live {
		all = append(all, b)
	}
	s.mu.Unlock()
	for _, b := range all {
		s.close(b)
	}
}
