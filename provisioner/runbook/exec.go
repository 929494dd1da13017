package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
)

// onHosts runs argv on every host of the step at once, streaming output lines, and fails
// naming each host where it failed.
func (r *Runner) onHosts(ctx context.Context, hosts []string, argv []string, out io.Writer) error {
	if len(hosts) == 0 {
		return errors.New("no hosts selected")
	}
	if r.DryRun {
		fmt.Fprintf(out, "    would run on %s: %s\n", strings.Join(hosts, ", "), modules.QuoteArgv(argv))
		return nil
	}
	outcomes := provisioner.EachHost(ctx, hosts, 0, func(ctx context.Context, name string) error {
		streamed := false
		res, err := run(ctx, r.Hosts, name, modules.Command{Argv: argv,
			Stream: func(_, s string) { streamed = true; line(out, name, s) }})
		if err != nil {
			return err
		}
		if !streamed { // a transport that does not stream: print the output at the end
			printLines(out, name, res.Stdout, res.Stderr)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("exit %d: %s", res.ExitCode, modules.Tail(res.Stderr, res.Stdout))
		}
		return nil
	})
	return joinFailures(outcomes)
}

// joinFailures turns failed hosts into one error: "a: ..." or "failed on 2 hosts: a: ...; b:
// ...". The hosts' errors stay reachable with errors.Is and errors.As.
func joinFailures(outcomes []provisioner.HostOutcome) error {
	var errs []error
	for _, o := range outcomes {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Host, o.Err))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return hostErrors(errs)
}

type hostErrors []error

func (e hostErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("failed on %d hosts: %s", len(e), strings.Join(msgs, "; "))
}

func (e hostErrors) Unwrap() []error { return e }

func (r *Runner) execStep(ctx context.Context, st *inventory.Step, out io.Writer) error {
	return r.onHosts(ctx, r.stepHosts(st), st.Command, out)
}

// serviceArgv is the systemctl command of a service step.
func serviceArgv(st *inventory.Step) []string {
	return []string{"systemctl", st.Attrs["action"], "--", st.Attrs["service"]}
}

func (r *Runner) serviceStep(ctx context.Context, st *inventory.Step, out io.Writer) error {
	return r.onHosts(ctx, r.stepHosts(st), serviceArgv(st), out)
}

func (r *Runner) confirmStep(ctx context.Context, j *Journal, st *inventory.Step, out io.Writer) error {
	fmt.Fprintf(out, "    %s\n", st.Message)
	if r.DryRun {
		fmt.Fprintln(out, "    would ask to continue")
		return nil
	}
	ok, err := r.ask(ctx, "Continue?")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("not confirmed: %w", ErrDeclined)
	}
	rec := r.answered(RecConfirmed)
	rec.Step, rec.Message = st.ID, st.Message
	return j.Append(rec)
}

func printLines(out io.Writer, host string, outputs ...[]byte) {
	for _, o := range outputs {
		if s := strings.TrimRight(string(o), "\n"); s != "" {
			for _, l := range strings.Split(s, "\n") {
				line(out, host, l)
			}
		}
	}
}
