package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// composePorts turns the published ports of the active services into the stack's ports, so
// the scheduler knows them: "80:80" is a fixed host port, "8080" an automatic one, and
// "127.0.0.1:8080:80" binds one address. A port block for the same service, container port
// and protocol overrides the compose port. Services of inactive profiles publish nothing.
func (l *loader) composePorts(sd *stackDecl) {
	s := sd.s
	fixed := map[string]string{} // "proto/host" -> the port that asked first
	for _, p := range s.Ports {
		if p.Host != 0 {
			fixed[p.Protocol+"/"+strconv.Itoa(p.Host)] = p.Name
		}
	}
	for _, svcName := range serviceNames(s) {
		svc := s.Project.Services[svcName]
		for _, pc := range svc.Ports {
			p, err := composePort(svcName, pc)
			if err != "" {
				l.diags = append(l.diags, errorf(sd.composeRng, "Unsupported published port",
					"Stack %q, service %q: %s.", s.Name, svcName, err))
				continue
			}
			if overridden(s.Ports, p) {
				continue
			}
			p.DeclRange = sd.composeRng
			if prev, ok := nameTaken(s.Ports, p.Name); ok {
				p.Name = fmt.Sprintf("%s-%d", p.Name, prev)
			}
			if p.Host != 0 {
				key := p.Protocol + "/" + strconv.Itoa(p.Host)
				if prev, ok := fixed[key]; ok {
					l.diags = append(l.diags, errorf(sd.composeRng, "Overlapping host ports",
						"Stack %q publishes host port %d/%s twice: port %q (service %q) and port %q; one replica cannot bind it twice.", s.Name, p.Host, p.Protocol, p.Name, svcName, prev))
					continue
				}
				fixed[key] = p.Name
			}
			s.Ports = append(s.Ports, p)
		}
	}
}

// composePort reads one published port of a service.
func composePort(svc string, pc types.ServicePortConfig) (Port, string) {
	proto := pc.Protocol
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return Port{}, fmt.Sprintf("protocol %q is not supported (tcp or udp)", proto)
	}
	if pc.Mode == "host" && pc.Published == "" {
		return Port{}, fmt.Sprintf("container port %d in mode host publishes no host port", pc.Target)
	}
	p := Port{Name: portName(svc, int(pc.Target), proto), Service: svc, Container: int(pc.Target), Protocol: proto, Bind: pc.HostIP, Compose: true}
	if pc.HostIP == "0.0.0.0" || pc.HostIP == "::" {
		p.Bind = ""
	}
	if pc.Published != "" {
		n, err := strconv.Atoi(pc.Published)
		if err != nil || checkPort(n) != nil {
			return Port{}, fmt.Sprintf("published port %q (container port %d) is not one host port; ranges are not supported, publish each port", pc.Published, pc.Target)
		}
		p.Host = n
	}
	return p, ""
}

var portNameInvalid = regexp.MustCompile(`[^a-z0-9_.-]+`)

// portName names a compose port in the lock file and the plan: SERVICE-PORT, with -udp.
func portName(svc string, target int, proto string) string {
	n := strings.Trim(portNameInvalid.ReplaceAllString(strings.ToLower(svc), "-"), "-")
	if n == "" {
		n = "svc"
	}
	n = fmt.Sprintf("%s-%d", n, target)
	if proto == "udp" {
		n += "-udp"
	}
	return n
}

func overridden(ports []Port, p Port) bool {
	for _, q := range ports {
		if !q.Compose && q.Service == p.Service && q.Container == p.Container && q.Protocol == p.Protocol {
			return true
		}
	}
	return false
}

func nameTaken(ports []Port, name string) (int, bool) {
	n := 0
	for _, q := range ports {
		if q.Name == name {
			n++
		}
	}
	return n + 1, n > 0
}

// checkNetworkMode refuses a port of a service that does not have its own network: Docker
// ignores published ports under network_mode host, service: or container:, so the lock file
// and the balancer would point at nothing.
func (l *loader) checkNetworkMode(s *Stack) {
	for _, p := range s.Ports {
		svc, ok := s.Project.Services[p.Service]
		if !ok {
			continue
		}
		nm := svc.NetworkMode
		if nm == "host" || strings.HasPrefix(nm, "service:") || strings.HasPrefix(nm, "container:") {
			l.diags = append(l.diags, errorf(p.DeclRange, "Port of a service without its own network",
				"Stack %q: service %q has network_mode %q, where Docker publishes no port, so port %q (container %d) would reach nothing. Remove the port (and the service's ports:), or give the service its own network.", s.Name, p.Service, nm, p.Name, p.Container))
		}
	}
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

func activeProfiles(s *Stack) string {
	if len(s.Profiles) == 0 {
		return "no profile"
	}
	return "profiles = [" + quoteList(s.Profiles) + "]"
}

// inactiveServing says which inactive services would serve a container port, for messages.
func inactiveServing(s *Stack, port int) string {
	var out []string
	for _, name := range sortedKeys(map[string]types.ServiceConfig(s.Project.DisabledServices)) {
		svc := s.Project.DisabledServices[name]
		if servesPort(svc, port) {
			out = append(out, fmt.Sprintf(" Service %q does, but it is only in profile %s, and the stack activates %s.", name, quoteList(svc.Profiles), activeProfiles(s)))
		}
	}
	return strings.Join(out, "")
}
