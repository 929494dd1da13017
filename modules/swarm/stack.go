package swarm

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/berth-dev/berth/modules"
)

// Operations of a Stack.
const (
	OpDeploy   = "deploy"   // write the stack file, docker stack deploy, wait until converged
	OpConverge = "converge" // the services are as wanted but not running as wanted: wait
)

// updateStartGrace is how long the wait expects an updated service's update to start.
const updateStartGrace = 10 * time.Second

// StateRoot is where the leader keeps each Swarm stack's file and env file.
const StateRoot = "/var/lib/berth/swarm"

// File names in a Swarm stack's directory on the leader.
const (
	StackFileName = "docker-stack.yml"
	EnvFileName   = ".env"
)

// Stack is a Swarm stack, deployed from the leader.
type Stack struct {
	spec     StackSpec
	rendered *Rendered
	poll     time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
}

var (
	_ modules.Resource    = (*Stack)(nil)
	_ modules.Phased      = (*Stack)(nil)
	_ modules.Checker     = (*Stack)(nil)
	_ modules.StackMember = (*Stack)(nil)
)

// Stack implements modules.StackMember: a placement file records the stack's Swarm
// placement once its changes ran (see provisioner.Session.Realized).
func (s *Stack) Stack() string { return s.spec.Name }

// Check implements modules.Checker: services berth cannot read leave no plan.
func (s *Stack) Check(obs []modules.ProbeResult) error {
	if _, err := parseServices(obs[0].Stdout); err != nil {
		return fmt.Errorf("swarm stack %s: %w", s.spec.Name, err)
	}
	return nil
}

// NewStack renders spec's stack file; an error is a stack that cannot run on Swarm.
func NewStack(spec StackSpec) (*Stack, error) {
	r, err := Render(spec)
	if err != nil {
		return nil, err
	}
	return &Stack{spec: spec, rendered: r, poll: time.Second, sleep: sleepCtx}, nil
}

// Address implements modules.Resource.
func (s *Stack) Address() string { return "swarm.stack." + s.spec.Name }

// Phase implements modules.Phased: after the nodes joined and got their labels.
func (s *Stack) Phase() int { return modules.PhaseSwarmDeploy }

func (s *Stack) dir() string { return path.Join(StateRoot, s.spec.Name) }

// servicesProbe inspects the stack's services (nothing when there are none, or no swarm).
func (s *Stack) servicesProbe() modules.Probe {
	filter := modules.Quote("label=com.docker.stack.namespace=" + s.spec.Name)
	return modules.CmdProbe("sh", "-c", "ids=$(docker service ls -q --filter "+filter+" 2>/dev/null) || exit 0; [ -z \"$ids\" ] || exec docker service inspect $ids")
}

// tasksProbe lists the stack's running services' replica counts: "NAME RUNNING/DESIRED".
func (s *Stack) tasksProbe() modules.Probe {
	return modules.CmdProbe("docker", "service", "ls", "--filter", "label=com.docker.stack.namespace="+s.spec.Name, "--format", "{{.Name}} {{.Replicas}}")
}

// Probes implements modules.Resource: the services, their replica counts, and whether the
// kernel has IPVS (the routing mesh needs it; berth publishes in host mode either way).
func (s *Stack) Probes() []modules.Probe {
	return []modules.Probe{s.servicesProbe(), s.tasksProbe(), modules.FileProbe("/proc/net/ip_vs")}
}

// service is the part of `docker service inspect` berth reads.
type service struct {
	Spec struct {
		Name   string            `json:"Name"`
		Labels map[string]string `json:"Labels"`
		Mode   struct {
			Replicated *struct {
				Replicas int `json:"Replicas"`
			} `json:"Replicated"`
		} `json:"Mode"`
		TaskTemplate struct {
			ContainerSpec struct {
				Image string `json:"Image"`
			} `json:"ContainerSpec"`
			Placement struct {
				Constraints []string `json:"Constraints"`
			} `json:"Placement"`
		} `json:"TaskTemplate"`
	} `json:"Spec"`
	UpdateStatus *struct {
		State     string `json:"State"`
		StartedAt string `json:"StartedAt"`
		Message   string `json:"Message"`
	} `json:"UpdateStatus"`
}

func parseServices(out []byte) ([]service, error) {
	return decodeInspect[service](out, "docker service inspect")
}

// counts reads "NAME RUNNING/DESIRED" lines.
func counts(out []byte) map[string][2]int {
	m := map[string][2]int{}
	for _, l := range strings.Split(string(out), "\n") {
		var name string
		var run, want int
		if _, err := fmt.Sscanf(strings.TrimSpace(l), "%s %d/%d", &name, &run, &want); err == nil {
			m[name] = [2]int{run, want}
		}
	}
	return m
}

// Diff implements modules.Resource: a deploy when a service is missing, differs from its
// rendering (by hash; the reason names image, replicas, constraints and env) or is no longer
// in the stack; else a convergence wait when a service runs fewer tasks than it wants or its
// last update did not complete.
func (s *Stack) Diff(obs []modules.ProbeResult) []modules.Change {
	svcs, err := parseServices(obs[0].Stdout)
	if err != nil {
		return nil // Check refused the observation: the host has no plan
	}
	c := modules.Change{Address: s.Address(), Op: OpDeploy, After: s.summary(obs[2].Exists)}
	byName := map[string]service{}
	for _, sv := range svcs {
		byName[strings.TrimPrefix(sv.Spec.Name, s.spec.Name+"_")] = sv
	}
	var why []string
	updated := deployState{updated: map[string]string{}}
	for _, name := range sortedKeys(s.rendered.Services) {
		sv, ok := byName[name]
		if !ok {
			why = append(why, "service "+name+" not deployed")
			continue
		}
		if r := serviceReasons(name, sv, s.rendered.Services[name]); len(r) > 0 {
			why = append(why, r...)
			updated.updated[sv.Spec.Name] = sv.updateStart()
		}
	}
	c.Observed = updated
	for _, name := range sortedKeys(byName) {
		if _, ok := s.rendered.Services[name]; !ok {
			why = append(why, "service "+name+" is no longer in the stack (removed)")
		}
	}
	switch {
	case len(svcs) == 0:
		c.Action, c.Reason = modules.Create, "not deployed on the swarm"
		return []modules.Change{c}
	case len(why) > 0:
		c.Action, c.Reason, c.Before = modules.Update, strings.Join(why, "; "), fmt.Sprintf("%d services deployed", len(svcs))
		return []modules.Change{c}
	}
	if lag := convergeReasons(s.spec.Name, svcs, counts(obs[1].Stdout)); len(lag) > 0 {
		return []modules.Change{{Address: s.Address(), Action: modules.Replace, Op: OpConverge, Reason: strings.Join(lag, "; ")}}
	}
	return nil
}

// serviceReasons says how a deployed service differs from the rendered one.
func serviceReasons(name string, sv service, want Service) []string {
	if sv.Spec.Labels[LabelHash] == want.Hash {
		return nil
	}
	var why []string
	if img, _, _ := strings.Cut(sv.Spec.TaskTemplate.ContainerSpec.Image, "@"); img != want.Image {
		why = append(why, fmt.Sprintf("service %s: image %s, want %s", name, img, want.Image))
	}
	if r := sv.Spec.Mode.Replicated; r != nil && r.Replicas != want.Replicas {
		why = append(why, fmt.Sprintf("service %s: %d replicas, want %d", name, r.Replicas, want.Replicas))
	}
	if have := slices.Sorted(slices.Values(sv.Spec.TaskTemplate.Placement.Constraints)); !slices.Equal(have, slices.Sorted(slices.Values(want.Constraints))) {
		why = append(why, fmt.Sprintf("service %s: constraints [%s], want [%s]", name, strings.Join(have, ", "), strings.Join(want.Constraints, ", ")))
	}
	if sv.Spec.Labels[LabelEnv] != want.EnvHash {
		why = append(why, fmt.Sprintf("service %s: env changed (sensitive)", name))
	}
	if len(why) == 0 {
		why = append(why, fmt.Sprintf("service %s: definition changed (hash %s, want %s)", name, orNone(sv.Spec.Labels[LabelHash]), want.Hash))
	}
	return why
}

// convergeReasons lists services running fewer tasks than they want, or whose last update
// was paused or rolled back.
func convergeReasons(stack string, svcs []service, n map[string][2]int) []string {
	var why []string
	for _, sv := range svcs {
		name := strings.TrimPrefix(sv.Spec.Name, stack+"_")
		if c, ok := n[sv.Spec.Name]; ok && c[0] < c[1] {
			why = append(why, fmt.Sprintf("service %s: %d of %d tasks running", name, c[0], c[1]))
		}
		if u := sv.UpdateStatus; u != nil && u.State != "" && u.State != "completed" && u.State != "updating" && u.State != "rollback_started" {
			why = append(why, fmt.Sprintf("service %s: update %s: %s", name, u.State, u.Message))
		}
	}
	return why
}

// summary is what the plan shows of the desired stack; no env value.
func (s *Stack) summary(ipvs bool) string {
	var svcs []string
	for _, name := range sortedKeys(s.rendered.Services) {
		w := s.rendered.Services[name]
		svcs = append(svcs, fmt.Sprintf("%s %s x%d", name, w.Image, w.Replicas))
	}
	var ports []string
	for _, p := range s.spec.Ports {
		ports = append(ports, fmt.Sprintf("%s %d->%s:%d", p.Name, p.Host, p.Service, p.Container))
	}
	mesh := "routing mesh unavailable: the kernel has no IPVS"
	if ipvs {
		mesh = "routing mesh available, unused"
	}
	out := "docker stack deploy: " + strings.Join(svcs, ", ")
	if len(ports) > 0 {
		out += "; ports in host mode " + strings.Join(ports, ", ") + " (" + mesh + ")"
	}
	return out
}

// deployState is what a deploy carries from the plan: the services it updates, whose
// rolling update the wait follows to its end.
type deployState struct {
	updated map[string]string // full service name -> the start of its last update before
}

// updateStart is when the service's last update started, "" for none.
func (sv service) updateStart() string {
	if sv.UpdateStatus == nil {
		return ""
	}
	return sv.UpdateStatus.StartedAt
}

// Apply implements modules.Resource.
func (s *Stack) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	var updated map[string]string
	if c.Op == OpDeploy {
		if err := s.deploy(ctx, h); err != nil {
			return err
		}
		ds, _ := c.Observed.(deployState)
		updated = ds.updated
	}
	return s.wait(ctx, h, updated)
}

// deploy writes the stack file (and the env file, 0600) on the leader and runs docker stack
// deploy with the env file's values as its environment, read from stdin: interpolation
// happens in the docker CLI, and no value is in the file or an argument.
func (s *Stack) deploy(ctx context.Context, h modules.Host) error {
	env, err := envLines(s.spec)
	if err != nil {
		return err
	}
	file := path.Join(s.dir(), StackFileName)
	if err := h.WriteFile(ctx, modules.FileWrite{Path: file, Content: s.rendered.File, Mode: 0o644, MkdirParents: true}); err != nil {
		return fmt.Errorf("write the stack file of %s on %s: %w", s.spec.Name, h.Name(), err)
	}
	if err := h.WriteFile(ctx, modules.FileWrite{Path: path.Join(s.dir(), EnvFileName), Content: s.spec.Env, Mode: 0o600, MkdirParents: true}); err != nil {
		return fmt.Errorf("write the env file of %s on %s: %w", s.spec.Name, h.Name(), err)
	}
	script := `while IFS= read -r line; do export "$line"; done; cd "$1" && exec docker stack deploy --prune --with-registry-auth -c "$2" "$3"`
	res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-c", script, "deploy", s.dir(), StackFileName, s.spec.Name}, Stdin: strings.NewReader(env)})
	if err != nil {
		return fmt.Errorf("docker stack deploy %s on %s: %w", s.spec.Name, h.Name(), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("docker stack deploy %s on %s: exit %d: %s", s.spec.Name, h.Name(), res.ExitCode, modules.Tail(res.Stderr, res.Stdout))
	}
	return nil
}

// envLines is the env file as KEY=VALUE lines for the deploy's shell, parsed with compose's
// own dotenv parser; a value with a newline cannot pass and is refused by name.
func envLines(s StackSpec) (string, error) {
	if len(s.Env) == 0 {
		return "", nil
	}
	m, err := dotenv.ParseWithLookup(bytes.NewReader(s.Env), func(string) (string, bool) { return "", false })
	if err != nil {
		return "", fmt.Errorf("stack %s: read the env file: %w", s.Name, err)
	}
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if strings.ContainsAny(m[k], "\n\r") {
			return "", fmt.Errorf("stack %s: env variable %s holds a line break, which a Swarm stack's environment cannot pass", s.Name, k)
		}
		b.WriteString(k + "=" + m[k] + "\n")
	}
	return b.String(), nil
}

// wait polls the services until each runs every task it wants and no update is in
// progress, within the health timeout.
func (s *Stack) wait(ctx context.Context, h modules.Host, updated map[string]string) error {
	limit := s.spec.HealthTimeout
	if limit <= 0 {
		limit = 90 * time.Second
	}
	start := time.Now()
	deadline := start.Add(limit)
	for {
		if time.Since(start) > updateStartGrace {
			updated = nil // a change of the service alone (its labels) starts no update
		}
		lag, err := s.lagging(ctx, h, updated)
		if err != nil {
			return err
		}
		if len(lag) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s on the swarm did not converge within %s: %s", s.spec.Name, limit, strings.Join(lag, "; "))
		}
		if err := s.sleep(ctx, s.poll); err != nil {
			return fmt.Errorf("wait for stack %s: %w", s.spec.Name, err)
		}
	}
}

// lagging is what still keeps the stack from having converged.
// A service the deploy updated has converged once its update completed (the update starts
// after docker stack deploy returns, so its tasks may still all run the old version).
func (s *Stack) lagging(ctx context.Context, h modules.Host, updated map[string]string) ([]string, error) {
	out, err := modules.Output(ctx, h, s.servicesProbe().Argv, "inspect the services of "+s.spec.Name)
	if err != nil {
		return nil, err
	}
	svcs, err := parseServices(out)
	if err != nil {
		return nil, fmt.Errorf("inspect the services of %s on %s: %w", s.spec.Name, h.Name(), err)
	}
	n, err := modules.Output(ctx, h, s.tasksProbe().Argv, "count the tasks of "+s.spec.Name)
	if err != nil {
		return nil, err
	}
	lag := convergeReasons(s.spec.Name, svcs, counts(n))
	for _, sv := range svcs {
		switch u := sv.UpdateStatus; {
		case u != nil && (u.State == "updating" || u.State == "rollback_started"):
			lag = append(lag, fmt.Sprintf("service %s: %s", sv.Spec.Name, u.State))
		default:
			if before, ok := updated[sv.Spec.Name]; ok && sv.updateStart() == before {
				lag = append(lag, fmt.Sprintf("service %s: update not started", sv.Spec.Name))
			}
		}
		if u := sv.UpdateStatus; u != nil && (u.State == "rollback_completed" || u.State == "paused") {
			return nil, fmt.Errorf("stack %s: service %s: update %s: %s", s.spec.Name, sv.Spec.Name, u.State, u.Message)
		}
	}
	if len(svcs) < len(s.rendered.Services) {
		lag = append(lag, fmt.Sprintf("%d of %d services exist", len(svcs), len(s.rendered.Services)))
	}
	return lag, nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
