package inventory

import (
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"encoding/json"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// perHost is one host-layer block: its body decoded once, then evaluated for each host it
// selects with that host in scope.
type perHost struct {
	block   *hcl.Block
	content *hcl.BodyContent
	hosts   []string
}

// each decodes every block of a type and calls fn once per selected host with the attributes
// evaluated in that host's context: the parsed blocks and, in their places, those of the
// pieces, parsed one at a time (the next one while this one is evaluated) and dropped.
func (l *loader) each(typ string, schema *hcl.BodySchema, fn func(h *Host, b *hcl.Block, a attrs)) {
	pieces := l.pieces[typ]
	parsed := parsePieces(pieces)
	defer func() {
		for range parsed { // let the parser finish after a piece that did not parse
		}
	}()
	one := func(b *hcl.Block) {
		c := l.content(b, schema)
		hosts, ok := l.selectHosts(l.attrsIn(c, l.ctx), "hosts")
		if !ok {
			return
		}
		for _, name := range hosts {
			fn(l.hostNamed(name), b, l.attrsIn(c, l.hctx[name]))
		}
	}
	blocks := l.blocks[typ]
	for i := 0; i <= len(blocks); i++ {
		for len(pieces) > 0 && pieces[0].seq == i {
			bs := <-parsed
			if bs == nil {
				l.again = true
				return
			}
			for _, b := range bs {
				one(b)
			}
			pieces = pieces[1:]
		}
		if i < len(blocks) {
			one(blocks[i])
		}
	}
}

// parseAhead is how many pieces are parsed at once, ahead of the evaluation: the host layer
// evaluates one while others parse, on the other CPUs.
var parseAhead = min(2, runtime.GOMAXPROCS(0))

// parsePieces parses pieces, parseAhead at a time, and sends each one's blocks in order (nil
// for a piece that did not parse as scanned).
func parsePieces(pieces []*piece) <-chan []*hcl.Block {
	out := make(chan []*hcl.Block)
	order := make(chan chan []*hcl.Block, parseAhead-1) // each piece's result, in order; with the one awaited, parseAhead
	go func() {
		defer close(order)
		for _, p := range pieces {
			r := make(chan []*hcl.Block, 1)
			order <- r
			go func() { r <- p.blocks() }()
		}
	}()
	go func() {
		defer close(out)
		for r := range order {
			out <- <-r
		}
	}()
	return out
}

// hostLayer evaluates docker, syslog, file, directory, package and service blocks per host.
func (l *loader) hostLayer() {
	for _, layer := range []struct {
		typ    string
		schema *hcl.BodySchema
		fn     func(h *Host, b *hcl.Block, a attrs)
	}{
		{"docker", dockerSchema, l.docker}, {"syslog", syslogSchema, l.syslog}, {"file", fileSchema, l.file},
		{"directory", directorySchema, l.directory}, {"package", packageSchema, l.pkg},
		{"service", serviceSchema, l.service},
	} {
		if !l.again {
			l.each(layer.typ, layer.schema, layer.fn)
		}
	}
	if !l.again {
		l.registries()
	}
}

// DefaultDaemon is daemon.json when a docker block gives none: container logs go to syslog
// tagged with the container name, which the syslog layer routes to one file per container.
func DefaultDaemon() map[string]any {
	return map[string]any{"log-driver": "syslog", "log-opts": map[string]any{"tag": "{{.Name}}"}}
}

func (l *loader) docker(h *Host, b *hcl.Block, a attrs) {
	if h.Docker != nil {
		l.diags = append(l.diags, errorf(b.DefRange, "Host selected by two docker blocks",
			"Host %q is already selected by the docker block at %s; a host has one Docker configuration.", h.Name, h.Docker.DeclRange.String()))
		return
	}
	d := &Docker{Source: "distro", Daemon: DefaultDaemon(), DeclRange: b.DefRange}
	a.oneOf("source", &d.Source, "distro", "docker")
	if v, ok := a.value("daemon", cty.DynamicPseudoType); ok {
		if m, err := jsonObject(v); err != nil {
			a.fail("daemon", "Invalid daemon configuration", "daemon must be an object (daemon.json): %s.", err)
		} else {
			d.Daemon = m
		}
	}
	h.Docker = d
}

// jsonObject turns an HCL object into JSON-compatible Go values.
func jsonObject(v cty.Value) (map[string]any, error) {
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return nil, fmt.Errorf("got %s", v.Type().FriendlyName())
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func (l *loader) syslog(h *Host, b *hcl.Block, a attrs) {
	if h.Syslog != nil {
		l.diags = append(l.diags, errorf(b.DefRange, "Host selected by two syslog blocks",
			"Host %q is already selected by the syslog block at %s; a host has one syslog configuration.", h.Name, h.Syslog.DeclRange.String()))
		return
	}
	s := &Syslog{ContainerLogs: "/var/log/containers", Rotate: 14, DeclRange: b.DefRange}
	if a.str("container_logs", &s.ContainerLogs) && s.ContainerLogs != "" && !plainDir.MatchString(s.ContainerLogs) {
		a.fail("container_logs", "Invalid path",
			"container_logs must be an absolute path of letters, digits and . _ - / (it is written into rsyslog and logrotate configuration), or \"\", not %s.", quoteSafe(s.ContainerLogs))
	}
	var fwd string
	if a.str("forward", &fwd) {
		f, err := parseForward(fwd)
		if err != nil {
			a.fail("forward", "Invalid forward target", "%s.", err)
		}
		s.Forward = f
	}
	if a.integer("rotate", &s.Rotate) && s.Rotate < 1 {
		a.fail("rotate", "Invalid rotate count", "rotate must be at least 1.")
	}
	h.Syslog = s
}

func parseForward(s string) (*Forward, error) {
	proto, rest, ok := strings.Cut(s, "://")
	if !ok || (proto != "tcp" && proto != "udp") {
		return nil, fmt.Errorf("%s must look like tcp://HOST:PORT or udp://HOST:PORT", quoteSafe(s))
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return nil, fmt.Errorf("%s has no port (tcp://HOST:PORT)", quoteSafe(s))
	}
	port, err := strconv.Atoi(rest[i+1:])
	if err != nil || checkPort(port) != nil {
		return nil, fmt.Errorf("%s has an invalid port (1 to 65535)", quoteSafe(s))
	}
	host := strings.Trim(rest[:i], "[]")
	if msg := checkAddress(host); msg != "" {
		return nil, fmt.Errorf("%s has an invalid host: %s", quoteSafe(s), msg)
	}
	return &Forward{Protocol: proto, Host: host, Port: port}, nil
}

// plainDir is a directory berth writes into other programs' configuration files (rsyslog,
// logrotate), where quoting rules differ: only characters no such format treats specially.
var plainDir = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+/?$`)

func absPath(p string) bool {
	return strings.HasPrefix(p, "/") && !hasControl(p) && !strings.Contains(p, "/../")
}
