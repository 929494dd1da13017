package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
)

// Defaults of wait steps.
const (
	defaultWaitTimeout = 5 * time.Minute
	defaultInterval    = 2 * time.Second
	httpAttemptTimeout = 10 * time.Second
)

// errFatal marks a wait attempt that cannot succeed by waiting (a missing curl).
var errFatal = errors.New("cannot wait")

// waitStep polls until the step's condition holds on every host, or its timeout passes.
func (r *Runner) waitStep(ctx context.Context, st *inventory.Step, out io.Writer) error {
	timeout, interval := st.Timeout, st.Interval
	if timeout <= 0 {
		timeout = defaultWaitTimeout
	}
	if interval <= 0 {
		interval = r.Interval
	}
	if interval <= 0 {
		interval = defaultInterval
	}
	if r.DryRun {
		fmt.Fprintf(out, "    would poll every %s, up to %s: %s\n", interval, timeout, r.waitWhat(st))
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return poll(ctx, interval, out, r.waitAttempt(st))
}

func (r *Runner) waitWhat(st *inventory.Step) string {
	hosts := strings.Join(r.stepHosts(st), ", ")
	switch {
	case st.Attrs["url"] != "" && hosts == "":
		return fmt.Sprintf("GET %s from this machine until it answers %s", st.Attrs["url"], wantStatus(st))
	case st.Attrs["url"] != "":
		return fmt.Sprintf("on %s: GET %s (curl or python3) until it answers %s", hosts, st.Attrs["url"], wantStatus(st))
	}
	return fmt.Sprintf("on %s: %s until it exits 0", hosts, modules.QuoteArgv(st.Command))
}

// poll calls attempt every interval until it succeeds, fails fatally or ctx ends. It prints
// the reason for waiting when it changes, and names the last one in its error.
func poll(ctx context.Context, interval time.Duration, out io.Writer, attempt func(context.Context) (string, error)) error {
	last := ""
	for {
		why, err := attempt(ctx)
		switch {
		case err != nil:
			return err
		case why == "":
			return nil
		case why != last:
			fmt.Fprintf(out, "    waiting: %s\n", why)
			last = why
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting (%v): %s", ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// waitAttempt returns one attempt of the step's condition: "" when it holds, else why not.
func (r *Runner) waitAttempt(st *inventory.Step) func(context.Context) (string, error) {
	hosts := r.stepHosts(st)
	if st.Attrs["url"] != "" && len(hosts) == 0 {
		return func(ctx context.Context) (string, error) { return httpAttempt(ctx, st) }
	}
	argv := st.Command
	if st.Attrs["url"] != "" {
		argv = curlArgv(st.Attrs["url"])
	}
	var mu sync.Mutex
	ok := map[string]bool{} // hosts where the condition held already
	return func(ctx context.Context) (string, error) {
		var todo []string
		for _, h := range hosts {
			if !ok[h] {
				todo = append(todo, h)
			}
		}
		var whys []string
		var fatal error
		outcomes := provisioner.EachHost(ctx, todo, 0, func(ctx context.Context, h string) error {
			why, err := r.hostAttempt(ctx, st, h, argv)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				fatal = err
			case why == "":
				ok[h] = true
			default:
				whys = append(whys, h+": "+why)
			}
			return nil
		})
		for _, o := range outcomes {
			if o.Err != nil { // not started: the wait's time is up
				whys = append(whys, o.Host+": "+o.Err.Error())
			}
		}
		return strings.Join(sorted(whys), "; "), fatal
	}
}

// hostAttempt runs argv once on host h.
func (r *Runner) hostAttempt(ctx context.Context, st *inventory.Step, h string, argv []string) (string, error) {
	res, err := run(ctx, r.Hosts, h, modules.Command{Argv: argv})
	switch {
	case err != nil:
		return "unreachable: " + oneLine(err.Error()), nil
	case res.ExitCode == 127:
		return "", fmt.Errorf("%s on %s: %w: %s", argv[0], h, errFatal, modules.Tail(res.Stderr))
	case res.ExitCode != 0:
		return fmt.Sprintf("exit %d: %s", res.ExitCode, modules.Tail(res.Stderr, res.Stdout)), nil
	case st.Attrs["url"] == "":
		return "", nil
	}
	code, _ := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
	return statusWhy(st, code), nil
}

// fetchScript prints the HTTP status of a GET of $1 from the host: with curl when the host
// has it, else python3; with neither it exits 127 (the step fails at once).
const fetchScript = `U=$1
if command -v curl >/dev/null 2>&1; then exec curl -s -o /dev/null -w '%{http_code}' --max-time 10 -- "$U"; fi
if command -v python3 >/dev/null 2>&1; then exec python3 -c '
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print(e, file=sys.stderr); sys.exit(7)' "$U"; fi
echo "neither curl nor python3 on this host" >&2
exit 127
`

// curlArgv fetches url on a host and prints the status code.
func curlArgv(url string) []string { return []string{"sh", "-c", fetchScript, "sh", url} }

func httpAttempt(ctx context.Context, st *inventory.Step) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, httpAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.Attrs["url"], nil)
	if err != nil {
		return "", fmt.Errorf("url %q: %w: %v", st.Attrs["url"], errFatal, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return oneLine(err.Error()), nil
	}
	resp.Body.Close()
	return statusWhy(st, resp.StatusCode), nil
}

// statusWhy is "" when code is what the step waits for: its status, else any 2xx.
func statusWhy(st *inventory.Step, code int) string {
	want := st.Attrs["status"]
	if (want == "" && code >= 200 && code < 300) || strconv.Itoa(code) == want {
		return ""
	}
	if code == 0 {
		return "no answer"
	}
	return fmt.Sprintf("status %d, want %s", code, wantStatus(st))
}

func wantStatus(st *inventory.Step) string {
	if s := st.Attrs["status"]; s != "" {
		return s
	}
	return "2xx"
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }
