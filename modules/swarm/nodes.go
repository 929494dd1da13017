package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"sort"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// OpNode updates a node's labels and availability.
const OpNode = "node"

// Availabilities of a node.
const (
	Active = "active"
	Drain  = "drain"
)

// Member is what the inventory wants of one node.
type Member struct {
	Host    string
	Address string
	// Labels are the node's labels: the host's, plus berth's own per Swarm stack.
	Labels  map[string]string
	Drain   bool
	Manager bool
}

// Nodes keeps every node's labels, availability and role (manager or worker) equal to the
// inventory's, from the leader.
type Nodes struct {
	members []Member // by host name
}

var (
	_ modules.Resource = (*Nodes)(nil)
	_ modules.Phased   = (*Nodes)(nil)
)

// NewNodes returns the labels and availability of members, kept from the leader.
func NewNodes(members []Member) *Nodes {
	ms := slices.Clone(members)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Host < ms[j].Host })
	return &Nodes{members: ms}
}

// Address implements modules.Resource.
func (r *Nodes) Address() string { return "swarm.nodes" }

// Phase implements modules.Phased: nodes are labelled once they joined.
func (r *Nodes) Phase() int { return modules.PhaseSwarmDeploy }

// nodesProbe inspects every node of the swarm (nothing when the host is not a manager).
func nodesProbe() modules.Probe {
	return modules.CmdProbe("sh", "-c", "ids=$(docker node ls -q 2>/dev/null) || exit 0; exec docker node inspect $ids")
}

// Probes implements modules.Resource.
func (r *Nodes) Probes() []modules.Probe { return []modules.Probe{nodesProbe()} }

// node is the part of `docker node inspect` berth reads.
type node struct {
	ID   string `json:"ID"`
	Spec struct {
		Labels       map[string]string `json:"Labels"`
		Role         string            `json:"Role"`
		Availability string            `json:"Availability"`
	} `json:"Spec"`
	Description struct {
		Hostname string `json:"Hostname"`
	} `json:"Description"`
	Status struct {
		State string `json:"State"` // ready, down, unknown, disconnected
		Addr  string `json:"Addr"`
	} `json:"Status"`
	ManagerStatus *struct {
		Addr string `json:"Addr"`
	} `json:"ManagerStatus"`
}

// addr is the address the node advertises: a manager's own (Status.Addr may read 0.0.0.0
// on some versions), else Status.Addr.
func (n node) addr() string {
	if n.ManagerStatus != nil {
		if h, _, err := net.SplitHostPort(n.ManagerStatus.Addr); err == nil {
			return h
		}
	}
	return n.Status.Addr
}

func parseNodes(out []byte) ([]node, error) { return decodeInspect[node](out, "docker node inspect") }

// decodeInspect reads the JSON arrays `docker ... inspect` prints (one per command of a
// batch) as one list.
func decodeInspect[T any](out []byte, what string) ([]T, error) {
	var all []T
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var batch []T
		err := dec.Decode(&batch)
		if errors.Is(err, io.EOF) {
			return all, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		all = append(all, batch...)
	}
}

// byAddress finds the node advertising addr; a node that left and joined again leaves a down
// entry with the same address, so a ready one is preferred.
func byAddress(ns []node, addr string) *node {
	var found *node
	for i := range ns {
		if ns[i].addr() == addr && (found == nil || found.Status.State != "ready") {
			found = &ns[i]
		}
	}
	return found
}

// nodeChange is what a change of a node carries: the member it makes true.
type nodeChange struct{ member Member }

// Diff implements modules.Resource: per node, one change when its labels or availability
// differ. A host that is not yet in the swarm gets its labels once it joined (this apply's
// join runs first).
func (r *Nodes) Diff(obs []modules.ProbeResult) []modules.Change {
	ns, _ := parseNodes(obs[0].Stdout) // no swarm yet: no node
	var out []modules.Change
	for _, m := range r.members {
		c := modules.Change{Address: "swarm.node." + m.Host, Op: OpNode, After: m.summary(), Observed: nodeChange{m}}
		n := byAddress(ns, m.Address)
		if n == nil {
			c.Action, c.Reason = modules.Create, "labels and availability once the host is in the swarm"
			out = append(out, c)
			continue
		}
		var why []string
		if d := labelDiff(n.Spec.Labels, m.Labels); d != "" {
			why = append(why, "labels "+d)
		}
		if got := n.Spec.Availability; got != m.availability() {
			why = append(why, fmt.Sprintf("availability %s, want %s", got, m.availability()))
		}
		if got := n.Spec.Role; got != m.role() {
			why = append(why, fmt.Sprintf("role %s, want %s", got, m.role()))
		}
		if len(why) > 0 {
			c.Action, c.Reason = modules.Update, strings.Join(why, "; ")
			c.Before = n.Spec.Role + ", " + summary(n.Spec.Labels, n.Spec.Availability)
			out = append(out, c)
		}
	}
	return out
}

func (m Member) availability() string {
	if m.Drain {
		return Drain
	}
	return Active
}

func (m Member) role() string {
	if m.Manager {
		return "manager"
	}
	return "worker"
}

func (m Member) summary() string { return m.role() + ", " + summary(m.Labels, m.availability()) }

func summary(labels map[string]string, availability string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		kv = append(kv, k+"="+labels[k])
	}
	return fmt.Sprintf("%s; labels {%s}", availability, strings.Join(kv, ", "))
}

// labelDiff describes how labels must change to become want: "+k=v", "~k=v", "-k".
func labelDiff(have, want map[string]string) string {
	var d []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		switch v, ok := have[k]; {
		case !ok:
			d = append(d, "+"+k+"="+want[k])
		case v != want[k]:
			d = append(d, "~"+k+"="+want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[k]; !ok {
			d = append(d, "-"+k)
		}
	}
	return strings.Join(d, " ")
}

// Apply implements modules.Resource: the node is looked up by its address (it may have
// joined in this apply) and updated in one command.
func (r *Nodes) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	nc, ok := c.Observed.(nodeChange)
	if !ok {
		return fmt.Errorf("%s: the change carries no node", c.Address)
	}
	m := nc.member
	out, err := modules.Output(ctx, h, nodesProbe().Argv, "inspect the swarm's nodes")
	if err != nil {
		return err
	}
	ns, err := parseNodes(out)
	if err != nil {
		return fmt.Errorf("inspect the swarm's nodes on %s: %w", h.Name(), err)
	}
	n := byAddress(ns, m.Address)
	if n == nil {
		return fmt.Errorf("update swarm node %s: no node advertises %s on %s (did its join fail?)", m.Host, m.Address, h.Name())
	}
	argv := []string{"docker", "node", "update", "--availability", m.availability(), "--role", m.role()}
	for _, k := range slices.Sorted(maps.Keys(n.Spec.Labels)) {
		if _, keep := m.Labels[k]; !keep {
			argv = append(argv, "--label-rm", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.Labels)) {
		argv = append(argv, "--label-add", k+"="+m.Labels[k])
	}
	return modules.Must(ctx, h, append(argv, n.ID), "update swarm node "+m.Host)
}
