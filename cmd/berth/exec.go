package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/secret"
)

func init() {
	register(&command{
		name:    "exec",
		summary: "run an ad-hoc command on selected hosts",
		args:    []param{optional("DIR")},
		argv:    "CMD...",
		about: `-l is required: -l '*' runs on every host. Everything after -- is the command, verbatim.
Output lines show every env_file value and sensitive variable as (sensitive) (values shorter
than 6 characters only after their NAME=, or as a whole line).
example: berth exec inventory/ -l app-1 -- uptime`,
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			f.addSourceFlags(fs)
			cf := addConnectFlags(fs)
			noBecome := fs.Bool("no-become", false, "run as the SSH user, without sudo")
			return func(e *env, in invocation) int { return runExec(e, dirArg(in.args), in.argv, f, cf, *noBecome) }
		},
	})
}

// execEvent is one line of `berth exec --json` output.
type execEvent struct {
	Host   string `json:"host"`
	Stream string `json:"stream,omitempty"` // stdout or stderr
	Line   string `json:"line,omitempty"`
	Exit   *int   `json:"exit,omitempty"`
	Error  string `json:"error,omitempty"`
}

func runExec(e *env, dir string, argv []string, f *inventoryFlags, cf *connectFlags, noBecome bool) int {
	if !f.check(e) {
		return exitError
	}
	if f.limit == "" {
		fmt.Fprintln(e.stderr, "error: exec needs -l SELECTOR\nhint: use -l '*' to run on every host")
		return exitError
	}
	inv, names, ok := selectHosts(e, dir, f)
	if !ok {
		return exitError
	}
	r, err := newResolver(e, inv)
	if err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), cf.timeout)
	defer cancel()
	out := &execOutput{e: e, json: f.json, mask: inv.Masker()}
	outcomes := provisioner.EachHost(ctx, names, cf.parallel, func(ctx context.Context, name string) error {
		c, err := dialPlain(ctx, r, inv.Host(name))
		if err != nil {
			return err
		}
		defer c.Close()
		res, err := c.Run(ctx, modules.Command{Argv: argv, NoBecome: noBecome,
			Stream: func(stream, line string) { out.line(name, stream, line) }})
		if err != nil {
			return err
		}
		out.exit(name, res.ExitCode)
		if res.ExitCode != 0 {
			return fmt.Errorf("exit status %d", res.ExitCode)
		}
		return nil
	})
	return out.summary(outcomes)
}

// execOutput prints per-host lines as they arrive ("host | line") and the summary. Every
// env file value and sensitive variable is masked, line by line (see secret.MinLen).
type execOutput struct {
	mu   sync.Mutex
	e    *env
	json bool
	mask *secret.Masker
}

func (o *execOutput) line(host, stream, line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	line = o.mask.Line(line)
	if o.json {
		json.NewEncoder(o.e.stdout).Encode(execEvent{Host: host, Stream: stream, Line: line})
		return
	}
	w := o.e.stdout
	if stream == "stderr" {
		w = o.e.stderr
	}
	fmt.Fprintf(w, "%s | %s\n", host, line)
}

func (o *execOutput) exit(host string, code int) {
	if o.json {
		o.mu.Lock()
		defer o.mu.Unlock()
		json.NewEncoder(o.e.stdout).Encode(execEvent{Host: host, Exit: &code})
	}
}

func (o *execOutput) summary(outcomes []provisioner.HostOutcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range outcomes {
		outcomes[i].Err = o.mask.Error(outcomes[i].Err)
	}
	for _, oc := range outcomes {
		switch {
		case oc.Err == nil:
			fmt.Fprintf(o.e.stderr, "%s: ok\n", oc.Host)
		case o.json:
			json.NewEncoder(o.e.stdout).Encode(execEvent{Host: oc.Host, Error: oc.Err.Error()})
			fmt.Fprintf(o.e.stderr, "%s: %v\n", oc.Host, oc.Err)
		default:
			hostError(o.e, oc.Host, oc.Err)
		}
	}
	s, failed := provisioner.FleetSummary(outcomes)
	fmt.Fprintln(o.e.stderr, s)
	if failed > 0 {
		return exitError
	}
	return exitOK
}
