package balancer

import "fmt"

// Paths and commands on the balancer host.
const (
	// ConfigPath is where the rendered configuration goes.
	ConfigPath = "/etc/haproxy/haproxy.cfg"
	// AdminSocket is the runtime API socket: `set server BACKEND/SERVER weight N`.
	AdminSocket = "/run/haproxy/admin.sock"
	// CertDir holds the frontends' certificate bundles, one file per frontend, 0600 root.
	// HAProxy reads them as root at start and reload, before it enters its chroot.
	CertDir = "/etc/haproxy/certs"
)

// CertPath is where the certificate bundle of a frontend goes.
func CertPath(frontend string) string { return CertDir + "/" + frontend + ".pem" }

// CheckArgv is the command that validates a configuration file before it replaces the
// running one. No -q: HAProxy 2.6 then prints nothing at all, not even why it refused.
func CheckArgv(path string) []string { return []string{"haproxy", "-c", "-f", path} }

// Config is the configuration of one HAProxy instance.
type Config struct {
	// Name is the balancer's name; it only appears in the header comment.
	Name      string
	Frontends []Frontend
	Backends  []Backend
}

// Mode is the proxy mode of a frontend or backend.
type Mode string

const (
	HTTP Mode = "http" // the default
	TCP  Mode = "tcp"
)

// Frontend listens on Bind and sends everything to Backend.
type Frontend struct {
	Name    string
	Bind    string // "[ADDRESS]:PORT", such as ":443" or "10.0.0.1:80"
	Mode    Mode
	Backend string
	// Certificate is the path of a PEM bundle on the host (CertPath): the frontend then
	// terminates TLS on Bind ("ssl crt PATH"). "" serves plain HTTP or TCP.
	Certificate string
	// RedirectHTTP is a second bind address, plain HTTP, that answers every request with a
	// permanent redirect to the same host and path over HTTPS on Bind. It needs Certificate.
	RedirectHTTP string
}

// RedirectName is the name of the frontend that redirects HTTP for frontend f.
func RedirectName(f string) string { return f + "-redirect" }

// Backend is one stack port: its servers are the stack's replicas.
type Backend struct {
	Name string // BackendName(stack, port)
	Mode Mode
	// Check makes health checks HTTP requests; nil checks that a TCP connection opens.
	Check *HTTPCheck
	// RetryIdempotent retries a GET or HEAD on another server when the connection failed or
	// the server closed it without a response (HTTP mode only). For servers whose tasks an
	// orchestrator stops without draining them first (Swarm stacks): a request caught by the
	// stop goes to another replica instead of failing.
	RetryIdempotent bool
	Servers         []Server
}

// HTTPCheck is an HTTP health check.
type HTTPCheck struct {
	Method string // default GET
	Path   string // default "/"
	Host   string // Host header; when set, checks are HTTP/1.1
	// Status is the expected status; 0 accepts any 2xx or 3xx.
	Status int
}

// Server is one replica behind a backend.
type Server struct {
	Name    string // ServerName(stack, index)
	Address string // IP address or host name of the replica's host
	Port    int    // the replica's published host port
	// Weight is the share of new connections, 1 to 256; 0 means 100.
	Weight int
	// Drain sets the weight to 0: no new connections, existing ones finish.
	Drain bool
}

// BackendName is the backend of a stack's named port.
func BackendName(stack, port string) string { return stack + "_" + port }

// ServerName is the server line of a stack's replica.
func ServerName(stack string, index int) string { return fmt.Sprintf("%s-%d", stack, index) }

func (m Mode) orDefault() Mode {
	if m == "" {
		return HTTP
	}
	return m
}

func (s Server) weight() int {
	switch {
	case s.Drain:
		return 0
	case s.Weight == 0:
		return 100
	}
	return s.Weight
}
