package runbook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/balancer"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// errNoServers: the step selects no server (the stack is not placed yet, or not on its hosts).
var errNoServers = errors.New("no server for this step")

// balancerCommands are the HAProxy runtime commands of a balancer step: one per server of
// every backend the balancer routes to the step's stack (every stack when none), limited to
// the replicas on the step's hosts when it names hosts.
func (r *Runner) balancerCommands(st *inventory.Step) ([]string, error) {
	b := r.balancer(st.Attrs["balancer"])
	if b == nil {
		return nil, fmt.Errorf("no balancer %q in the inventory", st.Attrs["balancer"])
	}
	a, err := r.assignment()
	if err != nil {
		return nil, err
	}
	var cmds []string
	for _, f := range b.Frontends {
		if s := st.Attrs["stack"]; s != "" && f.Stack != s {
			continue
		}
		for _, srv := range servers(a, f.Stack, st.Hosts) {
			cmds = append(cmds, fmt.Sprintf("set server %s/%s %s", balancer.BackendName(f.Stack, f.Port), srv, setting(st)))
		}
	}
	slices.Sort(cmds)
	cmds = slices.Compact(cmds)
	if len(cmds) == 0 {
		return nil, fmt.Errorf("balancer %s: %w (stack %q, hosts %v): is the stack placed? (berth.lock.json)", b.Name, errNoServers, st.Attrs["stack"], st.Hosts)
	}
	return cmds, nil
}

func (r *Runner) assignment() (schedule.Assignment, error) {
	if r.Assignment != nil {
		return r.Assignment()
	}
	return provisioner.CurrentAssignment(r.Inventory)
}

// servers names the servers of a stack's replicas, those on hosts only when hosts is set.
func servers(a schedule.Assignment, stack string, hosts []string) []string {
	sp := a.Stack(stack)
	if sp == nil {
		return nil
	}
	var out []string
	for _, rep := range sp.Replicas {
		if len(hosts) == 0 || slices.Contains(hosts, rep.Host) {
			out = append(out, balancer.ServerName(stack, rep.Index))
		}
	}
	return out
}

// setting is the end of a `set server` command for the step's action.
func setting(st *inventory.Step) string {
	switch st.Attrs["action"] {
	case "weight":
		return "weight " + st.Attrs["weight"]
	case "drain":
		return "state drain"
	}
	return "state ready"
}

// balancerStep sends the commands to HAProxy on every host of the balancer. HAProxy answers
// a successful `set server` with an empty line; anything else is its error message.
func (r *Runner) balancerStep(ctx context.Context, st *inventory.Step, out io.Writer) error {
	cmds, err := r.balancerCommands(st)
	if r.DryRun && errors.Is(err, errNoServers) {
		fmt.Fprintf(out, "    would set %q on the servers of the step (none placed yet: an earlier apply step places them)\n", setting(st))
		return nil
	}
	if err != nil {
		return err
	}
	hosts := r.stepHosts(st)
	if r.DryRun {
		for _, c := range cmds {
			fmt.Fprintf(out, "    would send to HAProxy on %s (%s): %s\n", strings.Join(hosts, ", "), balancer.AdminSocket, c)
		}
		return nil
	}
	outcomes := provisioner.EachHost(ctx, hosts, 0, func(ctx context.Context, h string) error {
		for _, c := range cmds {
			if err := r.sendAdmin(ctx, h, c); err != nil {
				return err
			}
			line(out, h, c)
		}
		return nil
	})
	return joinFailures(outcomes)
}

// reloadGrace is how long a "No such backend" answer is retried: right after a reload (an
// earlier apply step switching the balancer) the old HAProxy process may still answer on the
// admin socket, without the new backends.
const reloadGrace = 10 * time.Second

func (r *Runner) sendAdmin(ctx context.Context, h, cmd string) error {
	deadline := time.Now().Add(reloadGrace)
	for {
		err := r.sendAdminOnce(ctx, h, cmd)
		if err == nil {
			return r.confirm(ctx, h, cmd, deadline)
		}
		if !strings.Contains(err.Error(), "No such backend") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// confirm makes sure a state change reached the HAProxy that serves: right after a reload (an
// earlier step), the old process may still take a command on the admin socket and then exit,
// leaving the new one without it (seen on the bed: a drained replica still got requests). The
// server's status must show the state on two reads a second apart; otherwise the command is
// sent again, until the deadline. Weights are not confirmed.
func (r *Runner) confirm(ctx context.Context, h, cmd string, deadline time.Time) error {
	server, state, ok := strings.Cut(strings.TrimPrefix(cmd, "set server "), " state ")
	if !ok || !strings.HasPrefix(cmd, "set server ") {
		return nil
	}
	shows := func(status string) bool {
		drained := strings.HasPrefix(status, "DRAIN") || strings.HasPrefix(status, "MAINT")
		return drained == (state == balancer.StateDrain || state == balancer.StateMaint)
	}
	seen := 0
	for {
		res, err := run(ctx, r.Hosts, h, balancer.AdminCommand("show stat"))
		if err != nil {
			return err
		}
		st, perr := balancer.ParseStats(res.Stdout)
		if perr != nil {
			return nil // no readable `show stat` (a stand-in host): nothing to confirm with
		}
		if s, found := st[server]; found && shows(s.Status) {
			if seen++; seen == 2 {
				return nil
			}
		} else {
			seen = 0
			if time.Now().After(deadline) {
				return fmt.Errorf("%s on %s: HAProxy took the command but shows %s/%q", cmd, h, server, s.Status)
			}
			if err := r.sendAdminOnce(ctx, h, cmd); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (r *Runner) sendAdminOnce(ctx context.Context, h, cmd string) error {
	res, err := run(ctx, r.Hosts, h, balancer.AdminCommand(cmd))
	switch {
	case err != nil:
		return err
	case res.ExitCode != 0:
		return fmt.Errorf("%s: exit %d: %s", cmd, res.ExitCode, modules.Tail(res.Stderr, res.Stdout))
	case strings.TrimSpace(string(res.Stdout)) != "":
		return fmt.Errorf("%s: HAProxy says: %s", cmd, oneLine(string(res.Stdout)))
	}
	return nil
}
