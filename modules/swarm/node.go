package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/secret"
)

// Operations of a Node.
const (
	OpInit = "init" // docker swarm init on the leader
	OpJoin = "join" // join the leader's swarm, through the Docker API, token on stdin
)

// NodeAddress is the address of a host's Node resource.
const NodeAddress = "swarm.node"

// NodeSpec is one host of the swarm.
type NodeSpec struct {
	Host    string // inventory name, for messages
	Address string // the inventory address: the node advertises it and is found by it
	Manager bool
	Leader  bool // the first manager: inits the swarm, hands out the join tokens
}

// Node is a host's membership of the swarm.
type Node struct {
	spec    NodeSpec
	cluster *Cluster
}

var (
	_ modules.Resource = (*Node)(nil)
	_ modules.Phased   = (*Node)(nil)
	_ modules.Checker  = (*Node)(nil)
)

// NewNode returns the membership of spec's host in cluster's swarm.
func NewNode(spec NodeSpec, c *Cluster) *Node { return &Node{spec: spec, cluster: c} }

// Address implements modules.Resource.
func (n *Node) Address() string { return NodeAddress }

// Phase implements modules.Phased: the leader inits once Docker is installed (deploy
// phase), the others join once the swarm exists.
func (n *Node) Phase() int {
	if n.spec.Leader {
		return modules.PhaseDeploy
	}
	return modules.PhaseSwarmJoin
}

// Probes implements modules.Resource: the Docker daemon's swarm state and, on the leader,
// the two join tokens (read-only commands whose output berth keeps as a secret).
func (n *Node) Probes() []modules.Probe {
	ps := []modules.Probe{modules.CmdProbe("docker", "info", "--format", "{{json .Swarm}}")}
	if n.spec.Leader {
		ps = append(ps,
			modules.CmdProbe("docker", "swarm", "join-token", "-q", "worker"),
			modules.CmdProbe("docker", "swarm", "join-token", "-q", "manager"))
	}
	return ps
}

// swarmInfo is the part of `docker info`'s Swarm berth reads.
type swarmInfo struct {
	NodeID           string `json:"NodeID"`
	NodeAddr         string `json:"NodeAddr"`
	LocalNodeState   string `json:"LocalNodeState"` // inactive, pending, active, error, locked
	ControlAvailable bool   `json:"ControlAvailable"`
	Error            string `json:"Error"`
	RemoteManagers   []struct {
		Addr string `json:"Addr"`
	} `json:"RemoteManagers"`
}

// parseInfo reads the info probe; Docker not installed yet reads as not in a swarm.
func parseInfo(host string, r modules.ProbeResult) (swarmInfo, error) {
	var si swarmInfo
	if r.Missing || r.ExitCode == 127 {
		si.LocalNodeState = "inactive"
		return si, nil
	}
	if r.ExitCode != 0 {
		return si, fmt.Errorf("read the swarm state of %s: docker info: exit %d: %s", host, r.ExitCode, modules.Tail(r.Stderr))
	}
	if err := json.Unmarshal(bytes.TrimSpace(r.Stdout), &si); err != nil {
		return si, fmt.Errorf("read the swarm state of %s: %w", host, err)
	}
	return si, nil
}

// Check implements modules.Checker: a host in another swarm, or a leader that is a worker,
// is not something berth changes behind the operator's back.
func (n *Node) Check(obs []modules.ProbeResult) error {
	si, err := parseInfo(n.spec.Host, obs[0])
	if err != nil {
		return err
	}
	if si.LocalNodeState != "active" {
		return nil
	}
	switch {
	case n.spec.Leader && !si.ControlAvailable:
		return fmt.Errorf("swarm on %s: the host is in a swarm as a worker, and the inventory makes it the first manager; leave that swarm (docker swarm leave) or promote it first", n.spec.Host)
	case !n.spec.Leader && n.cluster.LeaderAddress != "" && !si.hasManager(n.cluster.LeaderAddress):
		return fmt.Errorf("swarm on %s: the host is in another swarm (managers %s), not the one of %s (%s); leave it first (docker swarm leave)", n.spec.Host, si.managers(), n.cluster.Leader, n.cluster.LeaderAddress)
	}
	return nil
}

func (si swarmInfo) hasManager(addr string) bool {
	return slices.ContainsFunc(si.RemoteManagers, func(m struct {
		Addr string `json:"Addr"`
	}) bool {
		h, _, err := net.SplitHostPort(m.Addr)
		return err == nil && h == addr
	})
}

func (si swarmInfo) managers() string {
	var out []string
	for _, m := range si.RemoteManagers {
		out = append(out, m.Addr)
	}
	return strings.Join(out, ", ")
}

// Diff implements modules.Resource. The leader records the join tokens it observed for the
// other hosts' joins (the one thing a Node hands on; see Cluster).
func (n *Node) Diff(obs []modules.ProbeResult) []modules.Change {
	si, err := parseInfo(n.spec.Host, obs[0])
	if err != nil {
		return nil // Check refused the observation: the host has no plan
	}
	if n.spec.Leader && si.LocalNodeState == "active" && obs[1].ExitCode == 0 && obs[2].ExitCode == 0 {
		n.cluster.setTokens(token(obs[1].Stdout), token(obs[2].Stdout))
	}
	switch si.LocalNodeState {
	case "active":
		return nil
	case "inactive":
	default:
		reason := fmt.Sprintf("the node is %s", si.LocalNodeState)
		if si.Error != "" {
			reason += ": " + si.Error
		}
		return []modules.Change{{Address: NodeAddress, Action: modules.Replace, Op: n.op(), Reason: reason}}
	}
	c := modules.Change{Address: NodeAddress, Action: modules.Create, Op: n.op()}
	role := "worker"
	if n.spec.Manager {
		role = "manager"
	}
	if n.spec.Leader {
		c.Reason = "not in a swarm: init the swarm, advertising " + n.spec.Address
		c.After = "first manager of the swarm"
	} else {
		c.Reason = fmt.Sprintf("not in a swarm: join the swarm of %s (%s) as a %s", n.cluster.Leader, n.cluster.LeaderAddress, role)
		c.After = role + ", advertising " + n.spec.Address
	}
	return []modules.Change{c}
}

func (n *Node) op() string {
	if n.spec.Leader {
		return OpInit
	}
	return OpJoin
}

func token(b []byte) secret.Bytes { return secret.Bytes(bytes.TrimSpace(b)) }

// Apply implements modules.Resource.
func (n *Node) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	if n.spec.Leader {
		return n.init(ctx, h)
	}
	return n.join(ctx, h)
}

func (n *Node) init(ctx context.Context, h modules.Host) error {
	if err := modules.Must(ctx, h, []string{"docker", "swarm", "init", "--advertise-addr", n.spec.Address}, "init the swarm"); err != nil {
		return err
	}
	worker, err := readToken(ctx, h, "worker")
	if err != nil {
		return err
	}
	manager, err := readToken(ctx, h, "manager")
	if err != nil {
		return err
	}
	n.cluster.setTokens(worker, manager)
	return nil
}

// readToken reads a join token; an error says what failed from stderr alone, since stdout
// may hold the token.
func readToken(ctx context.Context, h modules.Host, role string) (secret.Bytes, error) {
	res, err := h.Run(ctx, modules.Command{Argv: []string{"docker", "swarm", "join-token", "-q", role}})
	if err != nil {
		return nil, fmt.Errorf("read the %s join token on %s: %w", role, h.Name(), err)
	}
	if res.ExitCode != 0 || len(bytes.TrimSpace(res.Stdout)) == 0 {
		return nil, fmt.Errorf("read the %s join token on %s: exit %d: %s", role, h.Name(), res.ExitCode, modules.Tail(res.Stderr))
	}
	return token(res.Stdout), nil
}

// joinScript posts the join request it reads on stdin to the Docker API (POST /swarm/join):
// `docker swarm join` takes the token only as an argument, which any process of the host
// could read. python3 is on every Debian host berth targets; the script holds no secret.
const joinScript = `import socket, sys
body = sys.stdin.buffer.read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/var/run/docker.sock")
s.sendall(b"POST /swarm/join HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
resp = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    resp += b
head, _, rest = resp.partition(b"\r\n\r\n")
code = int(head.split()[1])
sys.stderr.write(rest.decode(errors="replace") if code >= 300 else "")
sys.exit(0 if code < 300 else 1)
`

// joinRequest is the body of POST /swarm/join.
type joinRequest struct {
	ListenAddr    string   `json:"ListenAddr"`
	AdvertiseAddr string   `json:"AdvertiseAddr"`
	RemoteAddrs   []string `json:"RemoteAddrs"`
	JoinToken     string   `json:"JoinToken"`
}

func (n *Node) join(ctx context.Context, h modules.Host) error {
	tok := n.cluster.token(n.spec.Manager)
	if len(tok) == 0 {
		return fmt.Errorf("join the swarm on %s: no join token: the first manager %s was not observed or formed in this run (include it, or run without --limit)", n.spec.Host, n.cluster.Leader)
	}
	body, err := json.Marshal(joinRequest{
		ListenAddr: "0.0.0.0:2377", AdvertiseAddr: n.spec.Address,
		RemoteAddrs: []string{net.JoinHostPort(n.cluster.LeaderAddress, "2377")}, JoinToken: string(tok),
	})
	if err != nil {
		return fmt.Errorf("join the swarm on %s: %w", n.spec.Host, err)
	}
	res, err := h.Run(ctx, modules.Command{Argv: []string{"python3", "-c", joinScript}, Stdin: bytes.NewReader(body)})
	switch {
	case err != nil:
		return fmt.Errorf("join the swarm on %s: %w", n.spec.Host, err)
	case res.ExitCode == 127:
		return errors.New("join the swarm on " + n.spec.Host + ": python3 is missing; berth sends the join token to the Docker API with it, never as an argument: install python3 (a package block)")
	case res.ExitCode != 0:
		return fmt.Errorf("join the swarm of %s on %s: %s", n.cluster.Leader, n.spec.Host, redactToken(modules.Tail(res.Stderr), tok))
	}
	return nil
}

// redactToken removes the token from a message, should the daemon ever echo it.
func redactToken(msg string, tok secret.Bytes) string {
	if len(tok) == 0 {
		return msg
	}
	return strings.ReplaceAll(msg, string(tok), secret.Redacted)
}
