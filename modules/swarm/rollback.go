package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
)

// OpRollback puts a Swarm stack's services back to their previous spec.
const OpRollback = "rollback"

// Rollback is `berth rollback STACK` for a Swarm stack: every service of the stack whose
// previous spec (what Swarm keeps of the service before its last update) differs from its
// spec goes back to it with `docker service rollback`, which Swarm carries out as an update
// (the service's update order and parallelism), and is waited for until it converged. The
// inventory is not changed: the next apply deploys what it says again, as for a static stack.
type Rollback struct {
	name    string
	poll    time.Duration
	timeout time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
}

var (
	_ modules.Resource = (*Rollback)(nil)
	_ modules.Phased   = (*Rollback)(nil)
)

// NewRollback returns the rollback of Swarm stack name, waited for up to timeout (0: 90 s).
func NewRollback(name string, timeout time.Duration) *Rollback {
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	return &Rollback{name: name, poll: time.Second, timeout: timeout, sleep: sleepCtx}
}

// Address implements modules.Resource.
func (r *Rollback) Address() string { return "swarm.stack." + r.name }

// Phase implements modules.Phased.
func (r *Rollback) Phase() int { return modules.PhaseSwarmDeploy }

func (r *Rollback) stack() *Stack { return &Stack{spec: StackSpec{Name: r.name}} }

// Probes implements modules.Resource: the stack's services, with their previous specs.
func (r *Rollback) Probes() []modules.Probe { return []modules.Probe{r.stack().servicesProbe()} }

// rollbackService is the part of `docker service inspect` a rollback reads.
type rollbackService struct {
	ID   string `json:"ID"`
	Spec struct {
		Name   string            `json:"Name"`
		Labels map[string]string `json:"Labels"`
	} `json:"Spec"`
	PreviousSpec *struct {
		Labels       map[string]string `json:"Labels"`
		TaskTemplate struct {
			ContainerSpec struct {
				Image string `json:"Image"`
			} `json:"ContainerSpec"`
		} `json:"TaskTemplate"`
	} `json:"PreviousSpec"`
}

// Diff implements modules.Resource: one change naming each service that goes back, with
// its previous image; none when no service has a previous spec other than its own.
func (r *Rollback) Diff(obs []modules.ProbeResult) []modules.Change {
	svcs, err := decodeInspect[rollbackService](obs[0].Stdout, "docker service inspect")
	if err != nil {
		return nil
	}
	var why, ids []string
	for _, sv := range svcs {
		p := sv.PreviousSpec
		if p == nil || p.Labels[LabelHash] == sv.Spec.Labels[LabelHash] {
			continue
		}
		img, _, _ := strings.Cut(p.TaskTemplate.ContainerSpec.Image, "@")
		w := fmt.Sprintf("service %s back to its previous deploy (%s, hash %s)", strings.TrimPrefix(sv.Spec.Name, r.name+"_"), img, orNone(p.Labels[LabelHash]))
		if p.Labels[LabelEnv] != sv.Spec.Labels[LabelEnv] {
			w += ", env (sensitive)"
		}
		why = append(why, w)
		ids = append(ids, sv.Spec.Name)
	}
	if len(ids) == 0 {
		return nil
	}
	return []modules.Change{{Address: r.Address(), Action: modules.Replace, Op: OpRollback, Reason: strings.Join(why, "; "),
		After: "docker service rollback " + strings.Join(ids, " "), Observed: ids}}
}

// Apply implements modules.Resource: docker service rollback for each service (it waits
// until the service converged), then a wait until each rollback completed and every task runs.
func (r *Rollback) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	ids, _ := c.Observed.([]string)
	for _, id := range ids {
		if err := modules.Must(ctx, h, []string{"docker", "service", "rollback", "--quiet", id}, "roll back service "+id); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(r.timeout)
	st := r.stack()
	for {
		lag, err := r.lagging(ctx, h, st, ids)
		if err != nil {
			return err
		}
		if len(lag) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s on the swarm did not roll back within %s: %s", r.name, r.timeout, strings.Join(lag, "; "))
		}
		if err := r.sleep(ctx, r.poll); err != nil {
			return fmt.Errorf("wait for the rollback of %s: %w", r.name, err)
		}
	}
}

// lagging is what keeps the rollback from being done: a rollback still running, or fewer
// tasks running than wanted. A rollback paused by Swarm fails.
func (r *Rollback) lagging(ctx context.Context, h modules.Host, st *Stack, ids []string) ([]string, error) {
	out, err := modules.Output(ctx, h, st.servicesProbe().Argv, "inspect the services of "+r.name)
	if err != nil {
		return nil, err
	}
	svcs, err := parseServices(out)
	if err != nil {
		return nil, fmt.Errorf("inspect the services of %s on %s: %w", r.name, h.Name(), err)
	}
	n, err := modules.Output(ctx, h, st.tasksProbe().Argv, "count the tasks of "+r.name)
	if err != nil {
		return nil, err
	}
	var lag []string
	counts := counts(n)
	for _, sv := range svcs {
		if !slices.Contains(ids, sv.Spec.Name) {
			continue
		}
		if c, ok := counts[sv.Spec.Name]; ok && c[0] < c[1] {
			lag = append(lag, fmt.Sprintf("service %s: %d of %d tasks running", sv.Spec.Name, c[0], c[1]))
		}
		switch u := sv.UpdateStatus; {
		case u == nil || u.State == "rollback_completed":
		case u.State == "rollback_paused":
			return nil, fmt.Errorf("stack %s: service %s: rollback paused: %s", r.name, sv.Spec.Name, u.Message)
		default:
			lag = append(lag, fmt.Sprintf("service %s: %s", sv.Spec.Name, u.State))
		}
	}
	return lag, nil
}
