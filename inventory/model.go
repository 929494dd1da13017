package inventory

import (
	"io/fs"
	"path"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/secret"
)

// Inventory is a loaded, validated inventory: every selector resolved, every per-host block
// evaluated for each host it selects. Consumers never see HCL expressions, only values.
type Inventory struct {
	// Dir is the inventory directory, absolute.
	Dir string
	// Files keeps the sources so that any later diagnostic (from the scheduler, a plan, a
	// runbook) can still be printed with its snippet: bytes only; WithSyntax re-parses them.
	Files map[string]*hcl.File
	// Hash is the SHA-256 (hex) of every input that shapes a plan: the .hcl files, stack
	// directories, env files and variable values. A saved plan records it to detect staleness.
	Hash string

	Defaults  Defaults
	Hosts     []*Host // sorted by name
	Groups    []*Group
	Stacks    []*Stack
	Balancers []*Balancer
	Runbooks  []*Runbook
	// Sources are the source blocks, in file order; their hosts are in Hosts when listed.
	Sources []*Source
	// Swarm is the swarm block, nil when the inventory forms no swarm.
	Swarm *Swarm
	// SensitiveValues are the values of the variables declared sensitive (each string in
	// them), kept only to mask them in output: see Masker.
	SensitiveValues []secret.Bytes
}

// Defaults holds inventory-wide settings that hosts inherit.
type Defaults struct {
	SSH       SSH
	Become    bool // run as root through `sudo -n`; default true
	PortRange PortRange
	StackRoot string // default "/srv/berth" (the one place that default is written)
	// ExpiryWarning is the certificate expiry warning of balancers that set none; default
	// cert.DefaultWarning (30 days), 0 warns only once expired.
	ExpiryWarning time.Duration
	// AptLockTimeout bounds the wait for the dpkg lock before apt gives up and names the
	// process holding it; default 2m.
	AptLockTimeout time.Duration
}

// SSH describes how to reach a host. Zero values mean "not set" so that ~/.ssh/config and
// defaults can fill them; Host.SSH is already merged with Defaults.SSH.
type SSH struct {
	User           string
	Port           int
	Identity       string // path as written; the transport expands ~ and resolves it against the inventory directory
	Jump           string // ProxyJump: "[user@]host[:port]", a host name of the inventory or an address
	KnownHosts     string // path as written, like Identity; "" lets the transport choose (known_hosts beside the inventory, else ~/.ssh/known_hosts)
	ConnectTimeout time.Duration
	Transport      string // "agent" (default) or "ssh"
}

// PortRange is an inclusive range of host ports the scheduler may hand out.
type PortRange struct {
	From, To int
}

// Capacity is what a host offers to stacks. Zero means unknown (facts fill it in).
type Capacity struct {
	CPUs   float64
	Memory int64 // bytes
}

// Host is one machine of the inventory with everything that applies to it.
type Host struct {
	Name      string
	Address   string
	Labels    map[string]string
	Vars      map[string]string
	Capacity  Capacity
	SSH       SSH
	Become    bool
	PortRange PortRange
	Drain     bool
	DeclRange hcl.Range
	// Source is the source that listed this host ("vsphere.prod"), "" for a host block;
	// Origin is where that source has it (the VM's id and inventory path).
	Source string
	Origin string

	// Host-layer resources evaluated for this host (the blocks that selected it).
	Docker      *Docker
	Syslog      *Syslog
	Files       []*File
	Directories []*Directory
	Packages    []*Package
	Services    []*Service
	Registries  []*Registry // in block order
}

// Group names a set of hosts: explicit members plus those matching a label selector.
type Group struct {
	Name      string
	Members   []string // host names, resolved and sorted
	DeclRange hcl.Range
}

// Docker is the Docker host layer for one host.
type Docker struct {
	Source string // "distro" (docker.io + docker-compose) or "docker" (Docker's apt repository)
	// Daemon is daemon.json as JSON-compatible Go values (map[string]any, []any, string,
	// float64, bool), written with sorted keys.
	Daemon    map[string]any
	DeclRange hcl.Range
}

// Syslog is the rsyslog host layer for one host.
type Syslog struct {
	ContainerLogs string // directory with one file per container tag; "" disables
	Forward       *Forward
	Rotate        int // logrotate: how many rotated files to keep (default 14)
	DeclRange     hcl.Range
}

// Forward is a parsed forwarding target such as tcp://logs.example.net:514.
type Forward struct {
	Protocol string // "tcp" or "udp"
	Host     string
	Port     int
}

// File is a file managed on a host.
type File struct {
	Path    string
	Content []byte
	// SHA256 is Content's hex SHA-256. Hosts that get the same content share one Content,
	// hashed once: a file block for every host is held once, not once per host.
	SHA256    string
	Mode      fs.FileMode
	Owner     string
	Group     string
	Sensitive bool // never printed; diffs show "(sensitive)"
	DeclRange hcl.Range
	// later, when set, replaces Content: a big fleet's contents are not all held (see
	// later.go); Data gives the content.
	later *later
}

// Held reports whether Content is the file's content; when not, Data evaluates it again.
func (f *File) Held() bool { return f.later == nil }

// Size is the length of the file's content.
func (f *File) Size() int {
	if f.later != nil {
		return f.later.size
	}
	return len(f.Content)
}

// Data returns the file's content: Content, or the content evaluated again as the load did,
// checked against SHA256.
func (f *File) Data() ([]byte, error) {
	if f.later == nil {
		return f.Content, nil
	}
	return f.later.produce(f.Path, f.SHA256)
}

// Directory is a directory managed on a host.
type Directory struct {
	Path      string
	Mode      fs.FileMode
	Owner     string
	Group     string
	DeclRange hcl.Range
}

// Package is a set of apt packages that must be present (or absent).
type Package struct {
	Names     []string
	State     string // "present" (default) or "absent"
	DeclRange hcl.Range
}

// Service is a systemd unit's desired state.
type Service struct {
	Name      string
	Enabled   *bool    // nil: leave as is
	State     string   // "running" (default), "stopped" or "" (leave as is)
	Restart   []string // addresses of resources whose change restarts this service, e.g. "file./etc/foo.conf"
	Reload    bool     // reload instead of restart when a dependency changed
	DeclRange hcl.Range
}

// Stack is a compose project that berth places and runs.
type Stack struct {
	Name       string
	ComposeDir string // absolute path of the stack directory
	// Project is the compose project as compose-go loaded and normalised it (project name pinned
	// to the stack name, the stack's profiles active, paths left relative), before berth
	// publishes host ports. Values interpolated from the env file read "(sensitive)" and the
	// project's Environment is nil: the project may be shown, the env file may not.
	Project *types.Project
	// ComposeFile is the compose file berth ships (see shippedCompose): the user's compose file
	// and override merged by compose-go, without the published ports and build sections berth
	// takes over, interpolation left to compose on the host.
	ComposeFile []byte
	// SourceFile is the user's compose file, relative to the inventory directory, and
	// SourceText its content: messages about the shipped file point into it.
	SourceFile string
	SourceText []byte
	// ComposeVersion is the top-level version attribute of the user's file, "" if none.
	ComposeVersion string
	// ConfigFiles are the files of the stack directory shipped beside it, by relative path:
	// what compose needs plus the directory's other files, minus .berthignore and build
	// contexts (see shipSet).
	ConfigFiles map[string][]byte
	// Builds are the images berth builds where it runs, one per service with build:.
	Builds []Build
	// Env is the content of env_file: a secret. Never print it.
	Env      secret.Bytes
	EnvFile  string // the env file relative to the inventory directory (env_file, or COMPOSE/.env), for messages
	Replicas int    // default 1
	// Profiles are the compose profiles activated for this stack.
	Profiles []string
	Place    Place
	Ports    []Port
	Health   Health
	Images   string // "pull" (default) or "ship"
	// ForceRecreate recreates containers on every apply, not only when the stack changed.
	ForceRecreate bool
	// PruneImages removes dangling images on the host after a successful deploy.
	PruneImages bool
	Root        string // parent directory on the host; default Defaults.StackRoot
	Resources   Resources
	// Update is how a changed stack's replicas are replaced (the update block; see update.go).
	Update Update
	// Mode is ModeStatic (berth places replicas and runs compose on each host) or ModeSwarm
	// (docker stack deploy on the inventory's swarm; Swarm places the replicas).
	Mode      string
	DeclRange hcl.Range
}

// Place constrains where replicas of a stack may run.
type Place struct {
	Hosts  []string // host names the selector resolved to
	Spread string   // label to spread replicas over, "" for none
}

// Port asks for a host port for a container port of the stack.
type Port struct {
	Name      string
	Service   string // compose service publishing it; default: the only service exposing Container
	Container int
	Host      int // fixed host port, 0 to let the scheduler pick
	Protocol  string
	// Bind is the address the host port listens on: "" for every interface, an IP, or
	// BindAddress for the host's own inventory address.
	Bind string
	// Compose is true for a port taken from a service's ports: (no port block).
	Compose   bool
	DeclRange hcl.Range
}

// BindAddress as a port's bind means the address of each host in the inventory.
const BindAddress = "address"

// Build is an image berth builds from a service's build: section, where berth runs.
type Build struct {
	Service    string
	Context    string // relative to the stack directory, slash-separated ("." for itself)
	Dockerfile string // relative to the context; default "Dockerfile"
	Target     string
	Args       map[string]string
	// Tag is the reference the image gets: the service's image repository (or
	// berth/STACK-SERVICE) and a tag derived from the context's content.
	Tag string
	// Files and Size describe the build context sent to the local engine.
	Files int
	Size  int64
}

// defaultHealthTimeout is how long a deploy waits for health when the stack does not say.
const defaultHealthTimeout = 90 * time.Second

// Health bounds how long a deploy waits for containers to become healthy.
type Health struct {
	Timeout time.Duration // default 90s
}

// Resources is what one replica of a stack needs from a host.
type Resources struct {
	CPUs   float64
	Memory int64 // bytes
}

// Balancer is an HAProxy instance on the selected hosts, its backends derived from placements.
type Balancer struct {
	Name      string
	Hosts     []string
	Frontends []Frontend
	// ExpiryWarning is how long before a frontend certificate expires plan and drift warn:
	// the balancer's expiry_warning, else the defaults' (30 days unless set).
	ExpiryWarning time.Duration
	DeclRange     hcl.Range
}

// Frontend routes a bind address to a stack's named port.
type Frontend struct {
	Name  string
	Bind  string
	Stack string
	Port  string
	// Certificate is the TLS bundle the frontend terminates with; nil serves plain HTTP.
	Certificate *cert.Bundle
	// CertificateSource says where it came from, for messages: the file as written in
	// certificate_file, or "variable" for a certificate attribute.
	CertificateSource string
	// CertificateRange is the certificate attribute's value, where expiry is reported.
	CertificateRange hcl.Range
	// RedirectHTTP is a bind address answering plain HTTP with a redirect to this frontend.
	RedirectHTTP string
	DeclRange    hcl.Range
}

// Runbook is an ordered list of steps, executed by `berth runbook`.
type Runbook struct {
	Name      string
	Steps     []*Step
	DeclRange hcl.Range
}

// Step is one runbook step. Kind selects which fields matter.
type Step struct {
	ID       string
	Kind     string // apply, exec, wait, confirm, balancer, service
	Hosts    []string
	Command  []string
	Message  string
	Targets  []string // for apply: resource or stack addresses
	Timeout  time.Duration
	Interval time.Duration
	// Attrs holds kind-specific settings as strings (url, status, port, weight, action...).
	Attrs     map[string]string
	Undo      *Step
	DeclRange hcl.Range
}

// Host returns the host of that name, or nil.
func (inv *Inventory) Host(name string) *Host {
	for _, h := range inv.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Stack returns the stack of that name, or nil.
func (inv *Inventory) Stack(name string) *Stack {
	for _, s := range inv.Stacks {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Dir is the stack's directory on its hosts: Root (which the loader always fills, from the
// stack's root or the defaults' stack_root) and the stack's name.
func (s *Stack) Dir() string { return path.Join(s.Root, s.Name) }
