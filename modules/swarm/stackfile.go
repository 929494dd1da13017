package swarm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/secret"
)

// StackFileVersion is the compose file format the stack file declares: the newest Docker
// 20.10's `docker stack deploy` reads (it refuses a file without a version).
const StackFileVersion = "3.8"

// Labels berth puts on each service of a Swarm stack.
const (
	// LabelHash is the hash of the service's rendered definition and of the env file: the
	// plan compares it with the deployed service's to decide whether to deploy.
	LabelHash = "berth.hash"
	// LabelEnv is the env file's hash alone, so the plan can say the env changed.
	LabelEnv = "berth.env-hash"
)

// StackSpec is a Swarm stack as the inventory has it.
type StackSpec struct {
	Name string
	// Compose is the compose file berth ships for static stacks (inventory.Stack.ComposeFile):
	// the user's file and override merged by compose-go, ${VAR} left for interpolation, no
	// ports and no build sections.
	Compose []byte
	// Env is the stack's env file: docker stack deploy's environment (interpolation), and the
	// .env beside the stack file for services that read it (env_file: .env). Never printed.
	Env      secret.Bytes
	Replicas int
	// PlaceLabel is the node label (berth.stack.NAME=true) of the nodes the stack may run on.
	PlaceLabel string
	Spread     string // label to spread replicas over, "" for none
	CPUs       float64
	Memory     int64
	// Strategy is the update block's: "rolling" (default), "all-at-once" or "start-first";
	// Parallel how many tasks a rolling update replaces at once (0: 1).
	Strategy string
	Parallel int
	Ports    []Port
	// HealthTimeout bounds the wait for every service to converge after a deploy.
	HealthTimeout time.Duration
}

// Port is a port the stack publishes on every node running the service, in host mode.
type Port struct {
	Name      string
	Service   string
	Container int
	Host      int
	Protocol  string
}

// serviceKeys are the service attributes of the compose file format 3.8: anything else
// (pull_policy, profiles, platform...) would make docker stack deploy refuse the file.
var serviceKeys = map[string]bool{
	"cap_add": true, "cap_drop": true, "cgroup_parent": true, "command": true, "configs": true,
	"container_name": true, "credential_spec": true, "depends_on": true, "deploy": true, "devices": true,
	"dns": true, "dns_search": true, "domainname": true, "entrypoint": true, "env_file": true,
	"environment": true, "expose": true, "external_links": true, "extra_hosts": true, "healthcheck": true,
	"hostname": true, "image": true, "init": true, "ipc": true, "isolation": true, "labels": true,
	"links": true, "logging": true, "mac_address": true, "network_mode": true, "networks": true,
	"pid": true, "ports": true, "privileged": true, "read_only": true, "restart": true, "secrets": true,
	"security_opt": true, "shm_size": true, "stdin_open": true, "stop_grace_period": true,
	"stop_signal": true, "sysctls": true, "tmpfs": true, "tty": true, "ulimits": true, "user": true,
	"userns_mode": true, "volumes": true, "working_dir": true,
}

// topKeys are the top-level keys of the 3.8 format; berth drops name (the stack's name is
// the project's) and refuses the rest.
var topKeys = map[string]bool{"services": true, "networks": true, "volumes": true, "secrets": true, "configs": true}

// Rendered is a stack file and what the plan compares: each service's hash.
type Rendered struct {
	File []byte
	// Services maps each service's name to what the deployed one must carry.
	Services map[string]Service
}

// Service is what berth expects of one deployed service.
type Service struct {
	Hash, EnvHash string
	Image         string
	Replicas      int
	Constraints   []string
}

// Render turns the stack into a stack file for docker stack deploy: version 3.8, each
// service with its deploy section (replicas, placement constraints and spread preference,
// resource reservations, update order and parallelism, rollback on failure) and the ports
// published in host mode. It refuses what the format does not have, naming the service.
func Render(s StackSpec) (*Rendered, error) {
	var m map[string]any
	if err := json.Unmarshal(s.Compose, &m); err != nil {
		return nil, fmt.Errorf("stack %s: read the compose file: %w", s.Name, err)
	}
	delete(m, "name")
	delete(m, "version")
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !topKeys[k] && !strings.HasPrefix(k, "x-") {
			return nil, fmt.Errorf("stack %s: top-level %q is not in the compose format docker stack deploy reads (%s)", s.Name, k, StackFileVersion)
		}
	}
	services, _ := m["services"].(map[string]any)
	swarmNetworks(s.Name, m)
	envHash := ""
	if len(s.Env) > 0 {
		envHash = shortHash(s.Env)
	}
	out := &Rendered{Services: map[string]Service{}}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		svc, ok := services[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("stack %s: service %s is not a mapping", s.Name, name)
		}
		for _, k := range slices.Sorted(maps.Keys(svc)) {
			if !serviceKeys[k] && !strings.HasPrefix(k, "x-") {
				return nil, fmt.Errorf("stack %s: service %s: %q is not in the compose format docker stack deploy reads (%s); remove it for a Swarm stack", s.Name, name, k, StackFileVersion)
			}
		}
		want, err := s.service(name, svc)
		if err != nil {
			return nil, err
		}
		def, _ := json.Marshal(svc)
		want.EnvHash = envHash
		want.Hash = shortHash(append(def, envHash...))
		labels := svc["deploy"].(map[string]any)["labels"].(map[string]any)
		labels[LabelHash] = want.Hash
		if envHash != "" {
			labels[LabelEnv] = envHash
		}
		out.Services[name] = want
	}
	m["version"] = StackFileVersion
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("stack %s: encode the stack file: %w", s.Name, err)
	}
	out.File = b.Bytes()
	return out, nil
}

// service fills one service's deploy section and ports, and says what the plan expects.
func (s StackSpec) service(name string, svc map[string]any) (Service, error) {
	deploy := mapAt(svc, "deploy")
	scale := 1
	if n, ok := deploy["replicas"].(float64); ok && n >= 1 {
		scale = int(n)
	}
	if mode, _ := deploy["mode"].(string); mode == "global" {
		return Service{}, fmt.Errorf("stack %s: service %s: deploy.mode global is not supported: berth sets replicas from the stack", s.Name, name)
	}
	want := Service{Replicas: s.Replicas * scale}
	want.Image, _ = svc["image"].(string)
	deploy["replicas"] = want.Replicas
	placement := mapAt(deploy, "placement")
	cons, _ := placement["constraints"].([]any)
	if s.PlaceLabel != "" {
		cons = append(cons, "node.labels."+s.PlaceLabel+"==true")
	}
	for _, c := range cons {
		want.Constraints = append(want.Constraints, fmt.Sprint(c))
	}
	if len(cons) > 0 {
		placement["constraints"] = cons
	}
	if s.Spread != "" {
		placement["preferences"] = []any{map[string]any{"spread": "node.labels." + s.Spread}}
	}
	if len(placement) == 0 {
		delete(deploy, "placement")
	}
	if s.CPUs > 0 || s.Memory > 0 {
		res := mapAt(mapAt(deploy, "resources"), "reservations")
		if s.CPUs > 0 {
			res["cpus"] = strconv.FormatFloat(s.CPUs, 'f', -1, 64)
		}
		if s.Memory > 0 {
			res["memory"] = strconv.FormatInt(s.Memory, 10)
		}
	}
	uc := mapAt(deploy, "update_config")
	uc["parallelism"] = max(s.Parallel, 1)
	uc["order"] = "stop-first"
	uc["failure_action"] = "rollback"
	switch s.Strategy {
	case "start-first":
		uc["order"] = "start-first"
	case "all-at-once":
		uc["parallelism"] = 0
	}
	// A rollback (failure_action, or berth rollback) replaces tasks the way an update does.
	rc := mapAt(deploy, "rollback_config")
	rc["parallelism"], rc["order"] = uc["parallelism"], uc["order"]
	mapAt(deploy, "labels")
	var ports []any
	for _, p := range s.Ports {
		if p.Service == name {
			proto := p.Protocol
			if proto == "" {
				proto = "tcp"
			}
			ports = append(ports, map[string]any{"target": p.Container, "published": p.Host, "protocol": proto, "mode": "host"})
		}
	}
	if len(ports) > 0 {
		svc["ports"] = ports
	}
	return want, nil
}

// mapAt returns m[key] as a map, creating it when absent.
func mapAt(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// SwarmNetworkSuffix marks the networks of a Swarm stack: NAME-swarm_NET.
const SwarmNetworkSuffix = "-swarm"

// swarmNetworks names each network the stack creates NAME-swarm_NET rather than Swarm's own
// NAME_NET. Compose names a static replica's networks NAME_NET too; while a stack switches
// mode, its static replica and its Swarm task run on one host for a while, and compose would
// find the Swarm stack's overlay network under its own network's name and refuse to start
// ("needs to be recreated"). External networks and networks named by the compose file stay
// as they are.
func swarmNetworks(stack string, m map[string]any) {
	nets, _ := m["networks"].(map[string]any)
	if nets == nil {
		nets = map[string]any{}
	}
	if _, ok := nets["default"]; !ok {
		nets["default"] = map[string]any{}
	}
	for _, k := range slices.Sorted(maps.Keys(nets)) {
		cfg, _ := nets[k].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
		}
		if ext, ok := cfg["external"]; ok && ext != false {
			continue
		}
		if name, _ := cfg["name"].(string); name != "" {
			continue
		}
		cfg["name"] = stack + SwarmNetworkSuffix + "_" + k
		nets[k] = cfg
	}
	m["networks"] = nets
}
