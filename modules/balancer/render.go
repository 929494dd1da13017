package balancer

import (
	"bytes"
	"fmt"
	"net"
	"sort"
	"strconv"
)

// Render returns the haproxy.cfg for cfg, or every validation error of cfg, joined.
func Render(cfg Config) ([]byte, error) {
	cfg.Frontends, cfg.Backends = sortedFrontends(cfg.Frontends), sortedBackends(cfg.Backends)
	if err := validate(cfg); err != nil { // sorted first, so errors come in a stable order
		return nil, fmt.Errorf("balancer %q: %w", cfg.Name, err)
	}
	var b bytes.Buffer
	header(&b, cfg.Name)
	for _, f := range cfg.Frontends {
		frontend(&b, f)
	}
	for _, be := range cfg.Backends {
		backend(&b, be)
	}
	return b.Bytes(), nil
}

// global and defaults follow Debian's packaged configuration, with explicit timeouts and
// health-check pacing. "expose-fd listeners" lets a reload take over the listening sockets;
// "init-addr libc,none" starts a server whose host name does not resolve in maintenance
// instead of refusing the whole configuration.
const preamble = `global
    log /dev/log local0
    log /dev/log local1 notice
    chroot /var/lib/haproxy
    stats socket ` + AdminSocket + ` mode 660 level admin expose-fd listeners
    stats timeout 30s
    user haproxy
    group haproxy

defaults
    log global
    mode http
    option dontlognull
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 30s
    timeout check 5s
    timeout tunnel 1h
    default-server inter 2s fall 3 rise 2 init-addr libc,none
`

// headerPrefix starts every file berth renders; a live file without it was written by
// someone else (the package, a person), which the plan says.
const headerPrefix = "# Written by berth for balancer"

func header(b *bytes.Buffer, name string) {
	if name != "" {
		name = " " + name
	}
	fmt.Fprintf(b, "%s%s from the stacks' placements.\n", headerPrefix, name)
	b.WriteString("# Do not edit: berth replaces this file on every change.\n\n")
	b.WriteString(preamble)
}

func frontend(b *bytes.Buffer, f Frontend) {
	bind, _ := bindAddress(f.Bind) // validated
	mode := f.Mode.orDefault()
	fmt.Fprintf(b, "\nfrontend %s\n    bind %s", f.Name, bind)
	if f.Certificate != "" {
		fmt.Fprintf(b, " ssl crt %s", f.Certificate)
	}
	fmt.Fprintf(b, "\n    mode %s\n", mode)
	if mode == HTTP {
		b.WriteString("    option httplog\n    option forwardfor\n")
		if f.Certificate != "" {
			b.WriteString("    http-request set-header X-Forwarded-Proto https\n")
		}
	} else {
		b.WriteString("    option tcplog\n")
	}
	fmt.Fprintf(b, "    default_backend %s\n", f.Backend)
	if f.RedirectHTTP != "" {
		redirect(b, f)
	}
}

// redirect renders the plain-HTTP frontend that sends every request to f over HTTPS: same
// host (its port, if the client sent one, replaced by f's) and same path and query, 301.
// It has no backend: every request is answered by the redirect.
func redirect(b *bytes.Buffer, f Frontend) {
	bind, _ := bindAddress(f.RedirectHTTP) // validated
	_, port, _ := net.SplitHostPort(f.Bind)
	if port == "443" {
		port = ""
	} else {
		port = ":" + port
	}
	fmt.Fprintf(b, "\nfrontend %s\n    bind %s\n    mode http\n    option httplog\n", RedirectName(f.Name), bind)
	fmt.Fprintf(b, "    http-request redirect location https://%%[hdr(host),field(1,:)]%s%%[capture.req.uri] code 301\n", port)
}

func backend(b *bytes.Buffer, be Backend) {
	fmt.Fprintf(b, "\nbackend %s\n    mode %s\n    balance roundrobin\n", be.Name, be.Mode.orDefault())
	if be.Check != nil {
		httpCheck(b, *be.Check)
	}
	if be.RetryIdempotent && be.Mode.orDefault() == HTTP {
		b.WriteString("    retry-on conn-failure empty-response\n    http-request disable-l7-retry if !METH_GET\n")
	}
	for _, s := range sortedServers(be.Servers) {
		addr := net.JoinHostPort(s.Address, strconv.Itoa(s.Port))
		fmt.Fprintf(b, "    server %s %s check weight %d\n", s.Name, addr, s.weight())
	}
}

func httpCheck(b *bytes.Buffer, c HTTPCheck) {
	method, path := c.Method, c.Path
	if method == "" {
		method = "GET"
	}
	if path == "" {
		path = "/"
	}
	fmt.Fprintf(b, "    option httpchk\n    http-check send meth %s uri %s", method, path)
	if c.Host != "" {
		fmt.Fprintf(b, " ver HTTP/1.1 hdr Host %s", c.Host)
	}
	b.WriteString("\n")
	if c.Status != 0 {
		fmt.Fprintf(b, "    http-check expect status %d\n", c.Status)
	}
}

func sortedFrontends(in []Frontend) []Frontend {
	out := append([]Frontend(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedBackends(in []Backend) []Backend {
	out := append([]Backend(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sortedServers orders servers by name, numbers compared as numbers: web-2 before web-10.
func sortedServers(in []Server) []Server {
	out := append([]Server(nil), in...)
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i].Name, out[j].Name) })
	return out
}

// naturalLess compares strings with runs of digits compared by value.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da == 0 || db == 0 {
			if a[0] != b[0] {
				return a[0] < b[0]
			}
			a, b = a[1:], b[1:]
			continue
		}
		na, nb := trim(a[:da]), trim(b[:db])
		switch {
		case len(na) != len(nb):
			return len(na) < len(nb)
		case na != nb:
			return na < nb
		case a[:da] != b[:db]: // same value, different zeros: "01" and "1"
			return a[:da] < b[:db]
		}
		a, b = a[da:], b[db:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// trim drops leading zeros, keeping one digit.
func trim(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
