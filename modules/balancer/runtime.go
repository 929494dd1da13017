package balancer

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// adminScript sends stdin to HAProxy's admin socket ($1) and prints the answer. HAProxy ships
// no client, so it uses socat when the host has it, else python3, else an OpenBSD nc with
// -U; with none of them it exits 127 and says to install socat.
const adminScript = `S=$1
if command -v socat >/dev/null 2>&1; then exec socat stdio "UNIX-CONNECT:$S"; fi
if command -v python3 >/dev/null 2>&1; then exec python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR); sys.stdout.buffer.write(b"".join(iter(lambda: s.recv(4096), b"")))' "$S"; fi
if nc -h 2>&1 | grep -q -- ' -U'; then exec nc -N -U "$S"; fi
echo "no client for $S: install socat (apt-get install socat)" >&2
exit 127
`

// AdminCommand is the command that sends line to HAProxy's runtime API (the admin socket)
// and prints its answer. The runtime API changes the running HAProxy without a reload.
func AdminCommand(line string) modules.Command {
	return modules.Command{Argv: []string{"sh", "-c", adminScript, "sh", AdminSocket}, Stdin: strings.NewReader(line + "\n")}
}

// Admin sends one runtime command and returns HAProxy's answer. A socket that is missing
// or refuses the connection is an error naming the host.
func Admin(ctx context.Context, h modules.Host, line string) (string, error) {
	res, err := h.Run(ctx, AdminCommand(line))
	switch {
	case err != nil:
		return "", fmt.Errorf("HAProxy admin socket on %s: %w", h.Name(), err)
	case res.ExitCode != 0:
		return "", fmt.Errorf("HAProxy admin socket %s on %s: %s: exit %d: %s", AdminSocket, h.Name(), line, res.ExitCode, modules.Tail(res.Stderr, res.Stdout))
	}
	return string(res.Stdout), nil
}

// Server states of the runtime API's `set server ... state`.
const (
	StateReady = "ready" // in rotation, once its health checks pass
	StateDrain = "drain" // no new connections; those in flight finish
	StateMaint = "maint" // out of rotation, health checks stopped
)

// SetState sets a server's administrative state. HAProxy answers success with nothing.
func SetState(ctx context.Context, h modules.Host, backend, server, state string) error {
	line := fmt.Sprintf("set server %s/%s state %s", backend, server, state)
	out, err := Admin(ctx, h, line)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(out); s != "" {
		return fmt.Errorf("%s on %s: HAProxy says: %s", line, h.Name(), strings.Join(strings.Fields(s), " "))
	}
	return nil
}

// ServerStat is one server as `show stat` reports it.
type ServerStat struct {
	Status   string // "UP", "DOWN", "MAINT", "DRAIN", "UP 1/2", "no check"...
	Sessions int    // current sessions (requests in flight, in HTTP mode without keep-alive)
}

// Up reports whether HAProxy sends new requests to the server.
func (s ServerStat) Up() bool { return s.Status == "UP" || s.Status == "no check" }

// Stats reads every server's state: "BACKEND/SERVER" -> its stat.
func Stats(ctx context.Context, h modules.Host) (map[string]ServerStat, error) {
	out, err := Admin(ctx, h, "show stat")
	if err != nil {
		return nil, err
	}
	st, err := ParseStats([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("show stat on %s: %w", h.Name(), err)
	}
	return st, nil
}

// ParseStats reads `show stat` CSV, columns found by the header's names.
func ParseStats(out []byte) (map[string]ServerStat, error) {
	out = bytes.TrimPrefix(bytes.TrimSpace(out), []byte("# "))
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("unreadable answer: %q", modules.Tail(out))
	}
	col := map[string]int{}
	for i, n := range rows[0] {
		col[n] = i
	}
	for _, n := range []string{"pxname", "svname", "scur", "status"} {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("no column %s in %q", n, modules.Tail(out))
		}
	}
	stats := map[string]ServerStat{}
	for _, row := range rows[1:] {
		if len(row) < len(rows[0]) || row[col["svname"]] == "FRONTEND" || row[col["svname"]] == "BACKEND" {
			continue
		}
		n, _ := strconv.Atoi(row[col["scur"]])
		stats[row[col["pxname"]]+"/"+row[col["svname"]]] = ServerStat{Status: row[col["status"]], Sessions: n}
	}
	return stats, nil
}

// pollInterval is how often Drain and WaitUp look at the server again.
const pollInterval = 500 * time.Millisecond

// Drain takes a server out of rotation without cutting a request: state drain (no new
// requests), a wait until its requests in flight end or timeout passes, then maint (health
// checks stop, so recreating the replica is not seen as a failure). It returns how long the
// in-flight requests took to end, and whether the timeout cut the wait short.
func Drain(ctx context.Context, h modules.Host, backend, server string, timeout time.Duration) (time.Duration, bool, error) {
	start := time.Now()
	if err := SetState(ctx, h, backend, server, StateDrain); err != nil {
		return 0, false, err
	}
	timedOut := false
	for {
		st, err := Stats(ctx, h)
		if err != nil {
			return 0, false, err
		}
		if st[backend+"/"+server].Sessions == 0 {
			break
		}
		if time.Since(start) >= timeout {
			timedOut = true
			break
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return 0, false, err
		}
	}
	return time.Since(start), timedOut, SetState(ctx, h, backend, server, StateMaint)
}

// Enable puts a server back in rotation and waits until HAProxy's own health checks see it
// up, at most timeout: the next replica leaves only once this one serves.
func Enable(ctx context.Context, h modules.Host, backend, server string, timeout time.Duration) error {
	if err := SetState(ctx, h, backend, server, StateReady); err != nil {
		return err
	}
	return WaitUp(ctx, h, backend, server, timeout)
}

// SetAddr points a server at another address and port, without a reload: new requests go
// there at once, requests in flight finish where they are. It is how a start-first deploy
// switches to the new version. HAProxy answers what it changed ("IP changed from ...",
// "no need to change the addr, port changed from ..."); anything else is an error.
func SetAddr(ctx context.Context, h modules.Host, backend, server, addr string, port int) error {
	line := fmt.Sprintf("set server %s/%s addr %s port %d", backend, server, addr, port)
	out, err := Admin(ctx, h, line)
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(out); !strings.Contains(s, "changed") && !strings.Contains(s, "no need to change") {
		return fmt.Errorf("%s on %s: HAProxy says: %s", line, h.Name(), strings.Join(strings.Fields(s), " "))
	}
	return nil
}

// WaitUp waits until HAProxy's health checks see a server up, at most timeout.
func WaitUp(ctx context.Context, h modules.Host, backend, server string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := Stats(ctx, h)
		if err != nil {
			return err
		}
		s := st[backend+"/"+server]
		if s.Up() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("HAProxy on %s: server %s/%s is still %s after %s", h.Name(), backend, server, s.Status, timeout)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
