package hostlock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

// DefaultDir is on /run, a tmpfs on every systemd host: a reboot, which ends any apply that
// held the lock, also clears it, so a host that went down mid-apply is not left locked.
const DefaultDir = agent.HostLockDir

// Holder describes who holds a lock.
type Holder struct {
	Who     string    `json:"who"` // user@machine
	PID     int       `json:"pid"` // on the machine that runs berth
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	Token   string    `json:"token"`
	Boot    string    `json:"boot,omitempty"` // boot id of the machine that runs berth
	// Run is the id of the run holding the lock: its journal on the host is
	// /var/lib/berth/runs/RUN.jsonl (see provisioner/agent).
	Run string `json:"run,omitempty"`
	// Lost is set, when the lock is read, if the holder went away mid-run and the host is
	// finishing the change in progress on its own (see LostFile): what the host said.
	Lost string `json:"-"`
	// HostWorks is set, when Acquire finds the lock busy, if the host itself works for the
	// run (a job it carries out on its own still runs, or Lost): such a lock is never stale.
	HostWorks bool `json:"-"`
}

// Gone reports a holder that ran on this machine, in this boot, as a process that no longer
// runs: a berth killed, or one that gave up on a frozen host whose lock command then ran
// when the host thawed. The boot id, not the host name, says "this machine": two machines
// can share a name, and after a reboot pids start over.
func (h *Holder) Gone() bool {
	me := NewHolder("")
	return h != nil && h.Boot != "" && h.Boot == me.Boot && h.Who == me.Who && h.PID != me.PID && !alive(h.PID)
}

// alive: a process with this pid exists (EPERM: it exists, as another user).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (h *Holder) String() string {
	s := fmt.Sprintf("%s (pid %d, %q) since %s, lock id %s", h.Who, h.PID, h.Command, h.Since.UTC().Format(time.RFC3339), h.Token)
	if h.Lost != "" {
		s += "; that berth is gone (" + h.Lost + "): the host releases the lock when it is done"
	}
	return s
}

// BusyError: another berth holds the host's lock.
type BusyError struct {
	Host   string
	Holder *Holder // nil when the holder had not written its details yet
}

func (e *BusyError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("host %s is busy: locked by another berth (holder details not written yet)", e.Host)
	}
	return fmt.Sprintf("host %s is busy: locked by %s", e.Host, e.Holder)
}

// Hint tells how to clear a lock whose holder is known to be gone.
func (e *BusyError) Hint() string {
	if e.Holder == nil {
		return "wait, or check the host's " + DefaultDir
	}
	return fmt.Sprintf("if that run is gone, remove the stale lock: berth unlock %s --id %s", e.Host, e.Holder.Token)
}

// Options tune Acquire.
type Options struct {
	Dir     string        // default DefaultDir
	Timeout time.Duration // how long to wait for a busy lock; 0 fails at once
	Poll    time.Duration // default 2s
	Command string        // what the holder runs, shown to others
	Run     string        // the run's id, for its journal on the host
	// Stale, when set, lets Acquire remove a lock whose holder is Gone, and is told so it can
	// say so; when nil such a lock is reported busy like any other.
	Stale func(Holder)
}

// Lock is a held host lock.
type Lock struct {
	host   modules.Host
	dir    string
	holder Holder
}

// Holder returns the details written into the lock.
func (l *Lock) Holder() Holder { return l.holder }

// Acquire takes the host's lock, polling until opt.Timeout while another berth holds it.
func Acquire(ctx context.Context, h modules.Host, opt Options) (*Lock, error) {
	opt = opt.withDefaults()
	me := NewHolder(opt.Command)
	me.Run = opt.Run
	deadline := time.Now().Add(opt.Timeout)
	for {
		busy, err := tryAcquire(ctx, h, opt.Dir, me)
		if err != nil || busy == nil {
			if err != nil {
				return nil, err
			}
			return &Lock{host: h, dir: opt.Dir, holder: me}, nil
		}
		if opt.Stale != nil && busy.Holder.Gone() && !busy.Holder.HostWorks {
			if err := unlock(ctx, h, opt.Dir, busy.Holder.Token); err != nil && !errors.Is(err, ErrNotLocked) {
				return nil, fmt.Errorf("remove stale lock: %w", err)
			}
			opt.Stale(*busy.Holder)
			continue
		}
		if !time.Now().Add(opt.Poll).Before(deadline) {
			return nil, busy
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (waiting for the lock)", busy)
		case <-time.After(opt.Poll):
		}
	}
}

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.Poll == 0 {
		o.Poll = 2 * time.Second
	}
	return o
}

// NewHolder describes this process, with a fresh random token.
func NewHolder(command string) Holder {
	b := make([]byte, 8)
	rand.Read(b)
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return Holder{Who: who + "@" + host, PID: os.Getpid(), Command: command, Since: time.Now().UTC().Truncate(time.Second),
		Token: hex.EncodeToString(b), Boot: strings.TrimSpace(string(boot))}
}

// acquireScript: $1 is the lock directory; stdin is the token line then holder.json.
const acquireScript = `set -u
L=$1
(umask 022 && mkdir -p -- "$(dirname -- "$L")") || exit 2
# A holder may release between a failed mkdir and the -d test: try again then.
for try in 1 2 3; do
  if mkdir -m 0700 -- "$L" 2>/dev/null; then
    IFS= read -r tok
    if printf '%s\n' "$tok" > "$L/token" && cat > "$L/holder.json"; then echo acquired; exit 0; fi
    rm -rf -- "$L"; exit 2
  fi
  if [ -d "$L" ]; then
    # busy-host: the host itself works for the run (a job's process lives, or the agent
    # said its berth is gone): never stale, whatever became of the berth that took it.
    st=busy
    if [ -e "$L/lost.json" ]; then st=busy-host; fi
    if [ -s "$L/job.pid" ] && kill -0 "$(cat -- "$L/job.pid")" 2>/dev/null; then st=busy-host; fi
    echo "$st"
    printf '%s\n' "$(cat -- "$L/holder.json" 2>/dev/null)" "$(cat -- "$L/lost.json" 2>/dev/null)"
    exit 0
  fi
done
echo "cannot create $L" >&2; exit 2
`

// AgentLocker is a host whose agent takes and releases the lock itself (agent.DoLock): no
// shell and no command on the host, in order with the requests that follow. ok is false when
// the host has no agent: the scripts above run instead, with the same directory protocol.
type AgentLocker interface {
	AgentLock(ctx context.Context, op string, l agent.Lock) (a agent.LockAnswer, ok bool, err error)
}

func tryAcquire(ctx context.Context, h modules.Host, dir string, me Holder) (*BusyError, error) {
	js, _ := json.Marshal(me)
	if al, isAgent := h.(AgentLocker); isAgent {
		a, ok, err := al.AgentLock(ctx, agent.OpLock, agent.Lock{Dir: dir, Token: me.Token, Holder: js})
		if ok {
			if err != nil {
				return nil, fmt.Errorf("lock %s: %w", h.Name(), err)
			}
			return busyFrom(h.Name(), a.State, a.Holder, a.Lost), nil
		}
	}
	res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-c", acquireScript, "sh", dir},
		Stdin: strings.NewReader(me.Token + "\n" + string(js) + "\n")})
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", h.Name(), err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("lock %s: exit %d: %s", h.Name(), res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	lines := append(strings.SplitN(string(res.Stdout), "\n", 4), "", "")
	return busyFrom(h.Name(), lines[0], lines[1], lines[2]), nil
}

// busyFrom reads an acquire's answer: nil when acquired, else who holds the lock.
func busyFrom(host, state, holder, lost string) *BusyError {
	if state == agent.LockAcquired {
		return nil
	}
	hd := parseHolder(holder)
	if hd != nil && state == agent.LockBusyHost {
		hd.HostWorks = true
		hd.Lost = lostText([]byte(lost))
	}
	return &BusyError{Host: host, Holder: hd}
}

func parseHolder(s string) *Holder {
	var hd Holder
	if json.Unmarshal([]byte(s), &hd) != nil || hd.Token == "" {
		return nil
	}
	return &hd
}

// Release removes the lock if it is still this one.
func (l *Lock) Release(ctx context.Context) error {
	return unlock(ctx, l.host, l.dir, l.holder.Token)
}

// Unlock removes a host's lock given its token (`berth unlock HOST --id TOKEN`).
func Unlock(ctx context.Context, h modules.Host, dir, token string) error {
	if dir == "" {
		dir = DefaultDir
	}
	return unlock(ctx, h, dir, token)
}

// ErrNotLocked is returned when there is no lock to remove.
var ErrNotLocked = errors.New("not locked")

const unlockScript = `L=$1
IFS= read -r want
[ -d "$L" ] || exit 3
have=$(cat -- "$L/token" 2>/dev/null)
if [ -z "$want" ] || [ "$have" != "$want" ]; then cat -- "$L/holder.json" 2>/dev/null; exit 4; fi
rm -rf -- "$L"
`

func unlock(ctx context.Context, h modules.Host, dir, token string) error {
	if al, isAgent := h.(AgentLocker); isAgent {
		a, ok, err := al.AgentLock(ctx, agent.OpUnlock, agent.Lock{Dir: dir, Token: token})
		if ok {
			switch {
			case err != nil:
				return fmt.Errorf("unlock %s: %w", h.Name(), err)
			case a.State == agent.LockReleased:
				return nil
			case a.State == agent.LockNotLocked:
				return fmt.Errorf("unlock %s: %w", h.Name(), ErrNotLocked)
			}
			return mismatch(h.Name(), token, a.Holder)
		}
	}
	res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-c", unlockScript, "sh", dir}, Stdin: strings.NewReader(token + "\n")})
	if err != nil {
		return fmt.Errorf("unlock %s: %w", h.Name(), err)
	}
	switch res.ExitCode {
	case 0:
		return nil
	case 3:
		return fmt.Errorf("unlock %s: %w", h.Name(), ErrNotLocked)
	case 4:
		return mismatch(h.Name(), token, string(res.Stdout))
	}
	return fmt.Errorf("unlock %s: exit %d: %s", h.Name(), res.ExitCode, strings.TrimSpace(string(res.Stderr)))
}

// mismatch: the lock holds another token than the one given.
func mismatch(host, token, holder string) error {
	if hd := parseHolder(holder); hd != nil {
		return fmt.Errorf("unlock %s: lock id %q does not match the lock held by %s", host, token, hd)
	}
	return fmt.Errorf("unlock %s: lock id %q does not match", host, token)
}

// Status reads the lock without touching it: nil when the host is free. A lock whose
// holder has not written its details yet is reported as a Holder with only Who set.
func Status(ctx context.Context, h modules.Host, dir string) (*Holder, error) {
	res, err := h.Observe(ctx, StatusProbes(dir))
	if err != nil {
		return nil, fmt.Errorf("lock status of %s: %w", h.Name(), err)
	}
	return StatusFrom(res), nil
}

// Busy fits the engine's read-only check: "" when free, else who holds the lock.
func Busy(ctx context.Context, h modules.Host) (string, error) {
	hd, err := Status(ctx, h, "")
	if err != nil || hd == nil {
		return "", err
	}
	return "busy, held by " + hd.String(), nil
}
