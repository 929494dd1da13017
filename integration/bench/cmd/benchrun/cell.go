package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/integration/bench"
)

// runCell runs every scenario of one (N, K), tools interleaved run by run.
func runCell(o options, tb *table, f bench.Fleet, keys bench.Keys, smallestK, smallestN bool) error {
	logs, err := prepare(o, f, keys, o.tools == nil || o.tools.MatchString("ansible"))
	if err != nil {
		return fmt.Errorf("prepare N=%d K=%d: %w", f.N, f.K, err)
	}
	defer closeMasters(f)
	tb.loads = append(tb.loads, fmt.Sprintf("N=%d K=%d: %s", f.N, f.K, loadAvg()))
	if o.verify && smallestN && smallestK {
		if err := sameWork(o, f, keys, logs); err != nil {
			return fmt.Errorf("N=%d K=%d: berth and Ansible do not describe the same files: %w", f.N, f.K, err)
		}
	} else if smallestN && smallestK {
		// sameWork's untimed berth runs upload the agent; without them the first timed run would.
		if res := o.bins.berthTool(f, "warm-berth-drift", "drift", f.BerthDir(), "--no-color").run(context.Background(), logs, o.timeout); res.err != nil {
			return fmt.Errorf("N=%d K=%d: untimed first drift: %w", f.N, f.K, res.err)
		}
	}
	for _, sc := range o.bins.scenarios(f, keys, smallestK) {
		if err := runScenario(o, tb, f, sc, logs, o.runs); err != nil {
			return err
		}
	}
	return tb.save(o) // a partial table survives an interrupted run
}

func runScenario(o options, tb *table, f bench.Fleet, sc scenario, logs string, runs int) error {
	if o.tools != nil {
		sc.tools = slices.DeleteFunc(slices.Clone(sc.tools), func(t tool) bool { return !o.tools.MatchString(t.name) })
	}
	samples := map[string][]bench.Sample{}
	notes, spent := map[string]string{}, map[string]time.Duration{}
	for _, t := range sc.tools {
		if why := tb.predictSkip(sc.name, t.name, f.N, f.K, o.timeout); why != "" {
			notes[t.name] = why
		}
	}
	for r := 0; r < runs; r++ {
		for _, t := range sc.tools {
			if notes[t.name] != "" && len(samples[t.name]) == 0 || r > 0 && spent[t.name] > o.budget || isFailed(notes[t.name]) {
				continue
			}
			if time.Now().After(o.deadline) {
				if len(samples[t.name]) == 0 {
					notes[t.name] = "skipped: past the -deadline of the whole run"
				}
				continue
			}
			if sc.prep != nil {
				if err := sc.prep(); err != nil {
					return err
				}
			}
			res := t.run(context.Background(), logs, o.timeout)
			fmt.Fprintf(os.Stderr, "bench: %s N=%d K=%d %s run %d: %s %s\n", sc.name, f.N, f.K, t.name, r+1, res.sample.Wall.Round(time.Millisecond), errText(res.err))
			if res.err != nil {
				notes[t.name] = "failed: " + short(res.err.Error(), 100)
				continue
			}
			samples[t.name] = append(samples[t.name], res.sample)
			spent[t.name] += res.sample.Wall
			notes[t.name] = res.note
		}
	}
	if sc.after != nil {
		if err := sc.after(); err != nil {
			return err
		}
	}
	for _, t := range sc.tools {
		tb.add(row{scen: sc.name, n: f.N, k: f.K, tool: t.name, sum: bench.Summarize(samples[t.name]), note: notes[t.name]})
	}
	return nil
}

// closeMasters ends Ansible's persistent connections of a cell (ssh -O exit on each control
// socket), so nothing outlives the benchmark.
func closeMasters(f bench.Fleet) {
	socks, _ := filepath.Glob(filepath.Join(f.AnsibleDir(), "cp", "*"))
	for _, s := range socks {
		exec.Command("ssh", "-o", "ControlPath="+s, "-O", "exit", "bench").Run()
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return "load average " + strings.Join(strings.Fields(string(b))[:3], " ")
}

func isFailed(note string) bool { return len(note) > 7 && note[:7] == "failed:" }

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// sameWork checks, untimed, that each tool's result is converged for the other: berth drift
// finds nothing after Ansible wrote the files, Ansible --check and the reference find nothing
// after berth wrote them.
func sameWork(o options, f bench.Fleet, keys bench.Keys, logs string) error {
	b := o.bins
	steps := []tool{
		ansiblePlaybook(f, "same-ansible-apply", bench.PlaybookFiles, false),
		b.berthTool(f, "same-berth-drift", "drift", f.BerthDir(), "--no-color"),
		b.berthTool(f, "same-berth-apply", "apply", f.BerthDir(), "--yes", "--no-color"),
		ansiblePlaybook(f, "same-ansible-check", bench.PlaybookFiles, true),
		b.refTool(f, keys, "check"),
	}
	for i, t := range steps {
		if i == 0 || i == 2 {
			if err := f.RemoveFiles(); err != nil {
				return err
			}
		}
		if res := t.run(context.Background(), logs, o.timeout); res.err != nil {
			return res.err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: N=%d K=%d: berth and Ansible agree on the files\n", f.N, f.K)
	return nil
}

// runN1000 drifts 1000 hosts with K=10 (berth and the reference; Ansible is not run there).
func runN1000(o options, tb *table, keys bench.Keys, k int) error {
	f := bench.Fleet{Dir: o.dir, Port: o.port, N: 1000, K: k}
	logs, err := prepare(o, f, keys, false)
	if err != nil {
		return err
	}
	sc := scenario{name: "check", tools: []tool{
		o.bins.refTool(f, keys, "check"),
		o.bins.berthTool(f, "berth-drift", "drift", f.BerthDir(), "--no-color", "--stats"),
	}}
	return runScenario(o, tb, f, sc, logs, min(o.runs, 3))
}
