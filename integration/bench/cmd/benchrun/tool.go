package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/integration/bench"
)

// tool is one way of doing a scenario's work: a command line and a check of its outcome.
type tool struct {
	name  string
	argv  []string
	env   []string
	check func(exit int, stdout, stderr string) error
	notes func(stdout, stderr string) string // counters worth showing, e.g. round trips
}

// result is one run of a tool.
type result struct {
	sample bench.Sample
	note   string
	err    error
}

// run executes t once with a timeout; stdout and stderr go to files under logs (kept for the
// last run of each tool, for reading after a failure).
func (t tool) run(ctx context.Context, logs string, timeout time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.argv[0], t.argv[1:]...)
	cmd.Env = append(os.Environ(), t.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	outPath, errPath := filepath.Join(logs, t.name+".out"), filepath.Join(logs, t.name+".err")
	out, err1 := os.Create(outPath)
	errf, err2 := os.Create(errPath)
	if err := errors.Join(err1, err2); err != nil {
		return result{err: err}
	}
	cmd.Stdout, cmd.Stderr = out, errf
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	out.Close()
	errf.Close()
	if ctx.Err() != nil {
		return result{err: fmt.Errorf("timeout after %s", timeout)}
	}
	exit := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else if err != nil {
		return result{err: err}
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := result{sample: bench.Sample{Wall: wall}}
	if ru != nil {
		r.sample.RSSKB = ru.Maxrss
	}
	stdout, stderr := readLog(outPath), readLog(errPath)
	if err := t.check(exit, stdout, stderr); err != nil {
		r.err = fmt.Errorf("%s: %w (logs %s, %s)", t.name, err, outPath, errPath)
	}
	if t.notes != nil {
		r.note = t.notes(stdout, stderr)
	}
	return r
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func exitIs(want ...int) func(int, string, string) error {
	return func(exit int, _, stderr string) error {
		for _, w := range want {
			if exit == w {
				return nil
			}
		}
		return fmt.Errorf("exit %d, want %v: %s", exit, want, lastLines(stderr, 5))
	}
}

var (
	recapBad     = regexp.MustCompile(`(failed|unreachable)=[1-9]`)
	recapChanged = regexp.MustCompile(`changed=[1-9]`)
	roundTrips   = regexp.MustCompile(`(\d+) round trips`)
)

// ansibleOK checks the play recap: no failed or unreachable host, and, when converged is
// set, no changed task (a --check of a converged fleet).
func ansibleOK(converged bool) func(int, string, string) error {
	return func(exit int, stdout, stderr string) error {
		switch {
		case exit != 0 || recapBad.MatchString(stdout):
			return fmt.Errorf("exit %d: %s %s", exit, lastLines(stdout, 8), lastLines(stderr, 3))
		case converged && recapChanged.MatchString(stdout):
			return fmt.Errorf("Ansible saw changes on a converged fleet: %s", lastLines(stdout, 8))
		}
		return nil
	}
}

// berthTrips sums berth's --stats round trips and gives the mean per host.
func berthTrips(_, stderr string) string {
	total, hosts := 0, 0
	for _, m := range roundTrips.FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
		hosts++
	}
	if hosts == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f rt/host", float64(total)/float64(hosts))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
