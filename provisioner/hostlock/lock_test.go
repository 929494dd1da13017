package hostlock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
	"github.com/berth-dev/berth/provisioner/conn"
)

// forEachHost runs a test on a host that locks with the scripts (plain SSH) and on one whose
// agent locks (agent.DoLock, the code the agent runs): both keep the same directory protocol.
func forEachHost(t *testing.T, test func(t *testing.T, h modules.Host)) {
	t.Run("script", func(t *testing.T) { test(t, conn.NewLocal("web-1", false)) })
	t.Run("agent", func(t *testing.T) { test(t, agentHost{conn.NewLocal("web-1", false)}) })
}

// agentHost locks as the agent does; everything else is the local shell.
type agentHost struct{ *conn.Local }

func (agentHost) AgentLock(_ context.Context, op string, l agent.Lock) (agent.LockAnswer, bool, error) {
	a, err := agent.DoLock(op, &l)
	return a, true, err
}

func TestLockIsExclusiveAndNamesHolder(t *testing.T) {
	forEachHost(t, func(t *testing.T, h modules.Host) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "berth", "lock")
		first, err := Acquire(ctx, h, Options{Dir: dir, Command: "berth apply prod"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Acquire(ctx, h, Options{Dir: dir, Command: "berth apply other"})
		var busy *BusyError
		if !errors.As(err, &busy) || busy.Holder == nil || busy.Holder.Token != first.Holder().Token {
			t.Fatalf("second acquire: %v, want BusyError naming the first holder", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "berth apply prod") || !strings.Contains(busy.Hint(), "berth unlock web-1 --id "+first.Holder().Token) {
			t.Errorf("busy error %q / hint %q lack holder details", msg, busy.Hint())
		}
		st, err := Status(ctx, h, dir)
		if err != nil || st == nil || st.Command != "berth apply prod" {
			t.Fatalf("status %+v %v", st, err)
		}
		if err := Unlock(ctx, h, dir, "wrong"); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("unlock with a wrong id: %v", err)
		}
		if err := first.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := Status(ctx, h, dir); st != nil {
			t.Errorf("still locked after release: %+v", st)
		}
		if err := first.Release(ctx); !errors.Is(err, ErrNotLocked) {
			t.Errorf("second release: %v, want ErrNotLocked", err)
		}
	})
}

func TestAcquireWaitsForRelease(t *testing.T) {
	forEachHost(t, func(t *testing.T, h modules.Host) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "lock")
		first, err := Acquire(ctx, h, Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			l, err := Acquire(ctx, h, Options{Dir: dir, Timeout: time.Hour, Poll: 5 * time.Millisecond})
			if err == nil {
				err = l.Release(ctx)
			}
			got <- err
		}()
		if err := first.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiting acquire: %v", err)
		}
	})
}

func TestUnlockStaleLock(t *testing.T) {
	forEachHost(t, func(t *testing.T, h modules.Host) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "lock")
		l, _ := Acquire(ctx, h, Options{Dir: dir})
		if err := Unlock(ctx, h, dir, l.Holder().Token); err != nil {
			t.Fatal(err)
		}
		if st, err := Status(ctx, h, dir); st != nil || err != nil {
			t.Errorf("after unlock: %+v %v", st, err)
		}
	})
}

// A lock left by a process of this machine that no longer runs is removed when the caller
// asks for it (Options.Stale), and reported busy when it does not.
func TestStaleLockOfAGoneProcess(t *testing.T) {
	forEachHost(t, func(t *testing.T, h modules.Host) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "lock")
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		gone := NewHolder("berth apply (killed)")
		gone.PID = cmd.Process.Pid // exited and reaped: no process has this pid now
		if busy, err := tryAcquire(ctx, h, dir, gone); busy != nil || err != nil {
			t.Fatalf("plant the lock: %v %v", busy, err)
		}
		if _, err := Acquire(ctx, h, Options{Dir: dir}); !errors.As(err, new(*BusyError)) {
			t.Fatalf("without Stale: %v, want busy", err)
		}
		var removed []Holder
		l, err := Acquire(ctx, h, Options{Dir: dir, Stale: func(hd Holder) { removed = append(removed, hd) }})
		if err != nil || len(removed) != 1 || removed[0].Token != gone.Token {
			t.Fatalf("with Stale: %v, removed %v", err, removed)
		}
		l.Release(ctx)

		// The same holder on another boot of this machine (or another machine) is never stale.
		other := gone
		other.Boot = "another-boot"
		if !gone.Gone() || other.Gone() {
			t.Errorf("Gone: this boot %v, another boot %v; want true, false", gone.Gone(), other.Gone())
		}
		alive := NewHolder("berth apply (running)")
		alive.PID = os.Getppid()
		if alive.Gone() {
			t.Error("a running process is taken for gone")
		}
	})
}

// A gone berth's lock is not stale while the host works for its run: a job the host carries
// out on its own still runs (job.pid), or its agent said the berth is gone (lost.json).
func TestALockTheHostWorksForIsNeverStale(t *testing.T) {
	forEachHost(t, func(t *testing.T, h modules.Host) {
		ctx := context.Background()
		for _, mark := range []string{"job.pid", LostFile} {
			dir := filepath.Join(t.TempDir(), "lock")
			cmd := exec.Command("true")
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			gone := NewHolder("berth apply (killed)")
			gone.PID = cmd.Process.Pid
			if busy, err := tryAcquire(ctx, h, dir, gone); busy != nil || err != nil {
				t.Fatalf("plant the lock: %v %v", busy, err)
			}
			content := `{"text":"berth's connection ended during step 1 (stack.web deploy)"}`
			if mark == "job.pid" {
				content = "1\n" // init: a live process
			}
			if err := os.WriteFile(filepath.Join(dir, mark), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Acquire(ctx, h, Options{Dir: dir, Stale: func(Holder) { t.Errorf("%s: removed as stale", mark) }})
			var busy *BusyError
			if !errors.As(err, &busy) || busy.Holder == nil || !busy.Holder.HostWorks {
				t.Fatalf("%s: %v, want busy with the host working", mark, err)
			}
			if mark == LostFile && !strings.Contains(busy.Holder.Lost, "during step 1") {
				t.Errorf("lost text %q", busy.Holder.Lost)
			}
			// Once the job is gone, a plain stale lock again.
			os.Remove(filepath.Join(dir, mark))
			l, err := Acquire(ctx, h, Options{Dir: dir, Stale: func(Holder) {}})
			if err != nil {
				t.Fatalf("%s: after the job: %v", mark, err)
			}
			l.Release(ctx)
		}
	})
}
