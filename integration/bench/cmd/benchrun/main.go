package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/integration/bench"
)

type options struct {
	ns, ks          []int
	runs            int
	dir             string
	port            int
	timeout, budget time.Duration
	deadline        time.Time // after it, nothing new starts
	n1000, verify   bool
	hold            int            // >0: start a fleet of this many hosts and wait, for profiling by hand
	tools           *regexp.Regexp // nil: every tool
	out             string
	bins            bins
	sshd            string
}

func main() {
	o, err := parseOptions(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	var o options
	ns := fs.String("n", "1,10,50,200", "fleet sizes")
	ks := fs.String("k", "10,100", "files per host")
	quick := fs.Bool("quick", false, "N=1,10; K=10; 3 runs: checks that the benchmark works")
	fs.IntVar(&o.runs, "runs", 5, "timed runs per tool and cell")
	fs.StringVar(&o.dir, "dir", "/tmp/berth-bench", "work directory (deleted hosts/ and inventories are regenerated)")
	fs.IntVar(&o.port, "port", 22022, "port of the bench sshd daemons on 127.0.0.2 and up")
	fs.DurationVar(&o.timeout, "timeout", 300*time.Second, "bound on one run of one tool")
	fs.DurationVar(&o.budget, "budget", 180*time.Second, "a tool stops repeating in a cell after this much time (at least one run)")
	total := fs.Duration("deadline", 0, "stop starting runs after this long (0: no bound)")
	fs.BoolVar(&o.verify, "verify", true, "check, untimed, that berth and Ansible describe the same files (smallest N and K)")
	fs.BoolVar(&o.bins.facts, "facts", true, "also run Ansible with fact gathering (check, smallest K)")
	fs.BoolVar(&o.n1000, "n1000", false, "also drift N=1000 at every -k (berth and reference; at most 3 runs)")
	fs.StringVar(&o.out, "out", "", "also write the table (markdown) to this file")
	fs.IntVar(&o.hold, "hold", 0, "start a fleet of this many hosts (first -k files each), print how to run berth against it, and wait for Ctrl-C")
	fs.StringVar(&o.bins.berth, "berth", "berth", "berth binary")
	fs.StringVar(&o.bins.ref, "ref", "benchref", "reference program binary")
	fs.StringVar(&o.sshd, "sshd", "/usr/sbin/sshd", "sshd binary")
	tools := fs.String("tools", "", "only the tools whose name matches this regexp (e.g. 'ref|berth' to re-measure berth without Ansible); also skips the -verify step unless it matches ansible")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *tools != "" {
		re, err := regexp.Compile(*tools)
		if err != nil {
			return o, fmt.Errorf("bad -tools: %w", err)
		}
		o.tools = re
		o.verify = o.verify && re.MatchString("ansible")
	}
	if *quick {
		*ns, *ks, o.runs = "1,10", "10", 3
	}
	o.deadline = time.Now().Add(100 * 365 * 24 * time.Hour)
	if *total > 0 {
		o.deadline = time.Now().Add(*total)
	}
	var err1, err2 error
	o.ns, err1 = ints(*ns)
	o.ks, err2 = ints(*ks)
	if err1 != nil || err2 != nil || o.runs < 1 {
		return o, fmt.Errorf("bad -n, -k or -runs")
	}
	return o, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("not a positive number: %q", f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func run(o options) error {
	raiseNoFile()
	maxN := o.ns[len(o.ns)-1]
	if o.n1000 {
		maxN = max(maxN, 1000)
	}
	if o.hold > 0 {
		maxN = o.hold
	}
	all := bench.Fleet{Dir: o.dir, Port: o.port, N: maxN}
	keys, err := all.MakeKeys()
	if err != nil {
		return err
	}
	// Each cell gets daemons for its own N only: every "host" shares one kernel, so with
	// the largest fleet's daemons up, each host's facts at N=1 would list 1000 sockets.
	serve := func(n int, fn func() error) error {
		sshd, err := bench.Fleet{Dir: o.dir, Port: o.port, N: n}.StartSSHD(keys, o.sshd)
		if err != nil {
			return err
		}
		defer sshd.Stop()
		return fn()
	}
	if o.hold > 0 {
		return serve(o.hold, func() error { return hold(o, bench.Fleet{Dir: o.dir, Port: o.port, N: o.hold, K: o.ks[0]}, keys) })
	}
	tb := &table{}
	start := time.Now()
	for _, k := range o.ks {
		for _, n := range o.ns {
			err := serve(n, func() error {
				return runCell(o, tb, bench.Fleet{Dir: o.dir, Port: o.port, N: n, K: k}, keys, k == o.ks[0], n == o.ns[0])
			})
			if err != nil {
				return err
			}
		}
		if o.n1000 {
			if err := serve(1000, func() error { return runN1000(o, tb, keys, k) }); err != nil {
				return err
			}
		}
	}
	return tb.write(os.Stdout, o, time.Since(start))
}

// hold prepares a fleet, says how to reach it, and keeps its sshd daemons up until
// interrupted: a way to profile one tool by hand on the same fleet the table measures.
func hold(o options, f bench.Fleet, keys bench.Keys) error {
	if _, err := prepare(o, f, keys, false); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: %d hosts up, %d files each; for example:\n  %s drift %s -p %d --stats\n  ANSIBLE_CONFIG=%s ansible-playbook %s --check\nCtrl-C stops them.\n",
		f.N, f.K, o.bins.berth, f.BerthDir(), f.N, filepath.Join(f.AnsibleDir(), "ansible.cfg"), filepath.Join(f.AnsibleDir(), bench.PlaybookFiles))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

func raiseNoFile() {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) == nil && r.Cur < r.Max {
		r.Cur = r.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
	}
}

// prepare writes the converged fleet and both descriptions, and opens Ansible's persistent
// connections (ControlPersist) with an untimed ad-hoc run, as a user's second run would find them.
func prepare(o options, f bench.Fleet, keys bench.Keys, warmAnsible bool) (logs string, err error) {
	logs = filepath.Join(o.dir, "logs", fmt.Sprintf("n%d-k%d", f.N, f.K))
	for _, step := range []func() error{
		func() error { return os.MkdirAll(logs, 0o755) }, f.MakeDirs, f.WriteFiles,
		func() error { return f.WriteBerth(keys) }, func() error { return f.WriteAnsible(keys) },
	} {
		if err := step(); err != nil {
			return "", err
		}
	}
	if !warmAnsible {
		return logs, nil
	}
	warm := ansibleAdhoc(f, "raw").run(context.Background(), logs, o.timeout)
	return logs, warm.err
}
