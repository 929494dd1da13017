package swarm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// OpRemove removes a Swarm stack: docker stack rm, then a wait until its services and
// networks are gone.
const OpRemove = "remove"

// Removal takes a stack that no longer runs on Swarm (its mode is static now, or it left
// the inventory) off the swarm, from the manager, in the teardown phase: after the stack's
// static replicas came up and the balancers follow them, so that requests keep being served.
// docker stack rm keeps named volumes, on every node.
type Removal struct {
	name, reason string
	label        string // the node label the stack's services were constrained to
	poll         time.Duration
	limit        time.Duration
	sleep        func(ctx context.Context, d time.Duration) error
}

var (
	_ modules.Resource    = (*Removal)(nil)
	_ modules.Phased      = (*Removal)(nil)
	_ modules.StackMember = (*Removal)(nil)
)

// NewRemoval returns the removal of Swarm stack name; reason says why, for the plan. label
// is the node label its services were constrained to: it stays on the nodes until the stack
// is gone (Swarm would stop the tasks at once otherwise), and the removal takes it off.
func NewRemoval(name, reason, label string) *Removal {
	return &Removal{name: name, reason: reason, label: label, poll: time.Second, limit: 2 * time.Minute, sleep: sleepCtx}
}

// Address implements modules.Resource: the address of the Swarm stack it removes.
func (r *Removal) Address() string { return "swarm.stack." + r.name }

// Phase implements modules.Phased: last, once the static replicas run and balancers follow.
func (r *Removal) Phase() int { return modules.PhaseTeardown }

// Stack implements modules.StackMember: when a static replica of the stack fails to
// deploy, the Swarm stack keeps running (the engine holds this removal).
func (r *Removal) Stack() string { return r.name }

// leftProbe lists what is left of the stack: its services, then its networks.
func (r *Removal) leftProbe() modules.Probe {
	f := modules.Quote("label=com.docker.stack.namespace=" + r.name)
	return modules.CmdProbe("sh", "-c", "docker service ls -q --filter "+f+" 2>/dev/null; docker network ls -q --filter "+f+" 2>/dev/null; true")
}

// Probes implements modules.Resource.
func (r *Removal) Probes() []modules.Probe { return []modules.Probe{r.leftProbe()} }

// Diff implements modules.Resource: a removal while any service or network of the stack is
// left; nothing once it is gone (or was never deployed).
func (r *Removal) Diff(obs []modules.ProbeResult) []modules.Change {
	n := len(strings.Fields(string(obs[0].Stdout)))
	if n == 0 {
		return nil
	}
	return []modules.Change{{Address: r.Address(), Action: modules.Delete, Op: OpRemove,
		Reason: fmt.Sprintf("%s: docker stack rm once its static replicas run and the balancers follow them; named volumes stay on each node", r.reason),
		Before: fmt.Sprintf("%d services and networks on the swarm", n)}}
}

// Apply implements modules.Resource: docker stack rm, again while something is left (a
// network still attached to a stopping task is removed at a later try), until nothing is.
func (r *Removal) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	deadline := time.Now().Add(r.limit)
	for {
		if _, err := h.Run(ctx, modules.Command{Argv: []string{"docker", "stack", "rm", r.name}}); err != nil {
			return fmt.Errorf("docker stack rm %s on %s: %w", r.name, h.Name(), err)
		}
		out, err := modules.Output(ctx, h, r.leftProbe().Argv, "list what is left of stack "+r.name)
		if err != nil {
			return err
		}
		left := strings.Fields(string(out))
		if len(left) == 0 {
			return r.unlabel(ctx, h)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s on the swarm: %d services or networks still there %s after docker stack rm", r.name, len(left), r.limit)
		}
		if err := r.sleep(ctx, r.poll); err != nil {
			return fmt.Errorf("remove stack %s: %w", r.name, err)
		}
	}
}

// unlabel takes the stack's label off every node that has it.
func (r *Removal) unlabel(ctx context.Context, h modules.Host) error {
	if r.label == "" {
		return nil
	}
	script := `for id in $(docker node ls -q); do
  if [ -n "$(docker node inspect --format "{{index .Spec.Labels \"$1\"}}" "$id" | grep -v '<no value>')" ]; then
    docker node update --label-rm "$1" "$id" >/dev/null || exit 1
  fi
done`
	return modules.Must(ctx, h, []string{"sh", "-c", script, "unlabel", r.label}, "take label "+r.label+" off the swarm's nodes")
}
