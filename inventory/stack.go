package inventory

import (
	"net"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/secret"
)

// stackDecl is a stack while it is loaded: the model plus the ranges later checks point at.
type stackDecl struct {
	s          *Stack
	block      *hcl.Block
	composeRng hcl.Range
	envRng     hcl.Range
	modeRng    hcl.Range
	composeRel string          // the compose attribute as written, relative to the inventory directory
	ok         bool            // compose directory found; compose loading may proceed
	diags      hcl.Diagnostics // from loading the compose project (concurrently)
}

// stacks decodes stack blocks, then loads their compose directories (concurrently: compose
// parsing is most of the load time), then checks ports and resources against the project.
func (l *loader) stacks() {
	seen := map[string]*Stack{}
	var decls []*stackDecl
	for _, b := range l.blocks["stack"] {
		sd := l.stack(b)
		if prev, ok := seen[sd.s.Name]; ok {
			l.diags = append(l.diags, duplicate("stack", sd.s.Name, prev.DeclRange, b.DefRange))
			continue
		}
		seen[sd.s.Name] = sd.s
		decls = append(decls, sd)
	}
	l.loadComposeAll(decls)
	for _, sd := range decls {
		l.finishStack(sd)
		l.inv.Stacks = append(l.inv.Stacks, sd.s)
	}
	sort.Slice(l.inv.Stacks, func(i, j int) bool { return l.inv.Stacks[i].Name < l.inv.Stacks[j].Name })
}

func (l *loader) stack(b *hcl.Block) *stackDecl {
	s := &Stack{Name: b.Labels[0], Replicas: 1, Images: "pull", Root: l.inv.Defaults.StackRoot,
		Health: Health{Timeout: defaultHealthTimeout}, DeclRange: b.DefRange}
	sd := &stackDecl{s: s, block: b}
	c := l.content(b, stackSchema)
	a := l.attrsIn(c, l.ctx)
	sd.composeRng, sd.envRng = a.rng("compose", b.DefRange), a.rng("env_file", b.DefRange)
	sd.modeRng = a.rng("mode", b.DefRange)
	modeOf(a, s)
	l.composeDir(a, sd)
	if d := checkName("stack", s.Name, stackNameRule, b.LabelRanges[0]); d != nil {
		l.diags = append(l.diags, d)
		sd.ok = false // compose would only repeat that the project name is invalid
	}
	l.envFile(a, sd)
	if a.integer("replicas", &s.Replicas) && s.Replicas < 1 {
		a.fail("replicas", "Invalid replicas", "replicas must be at least 1.")
	}
	a.oneOf("images", &s.Images, "pull", "ship")
	a.boolean("force_recreate", &s.ForceRecreate)
	a.boolean("prune_images", &s.PruneImages)
	if a.str("root", &s.Root) && !absPath(s.Root) {
		a.fail("root", "Invalid stack root", "root must be an absolute path on the hosts, not %s.", quoteSafe(s.Root))
	}
	a.strList("profiles", &s.Profiles)
	l.stackBlocks(c.Blocks, s)
	return sd
}

func (l *loader) composeDir(a attrs, sd *stackDecl) {
	var rel string
	if !a.str("compose", &rel) {
		return
	}
	abs, err := within(l.inv.Dir, rel)
	if err != nil {
		a.fail("compose", "Invalid compose directory", "Stack %q: %s.", sd.s.Name, err)
		return
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		a.fail("compose", "Invalid compose directory", "Stack %q: %q is not a directory; compose names the directory that holds compose.yaml and its files.", sd.s.Name, rel)
		return
	}
	sd.s.ComposeDir, sd.composeRel, sd.ok = abs, rel, true
}

// envFile reads env_file, a path relative to the inventory directory. Its content is a
// secret: it is shipped as the stack's .env (0600) and is never printed.
func (l *loader) envFile(a attrs, sd *stackDecl) {
	if !a.str("env_file", &sd.s.EnvFile) {
		return
	}
	b, _, err := l.readSecretWithin(sd.s.EnvFile) // a SOPS file is decrypted in memory
	if err != nil {
		a.fail("env_file", "Cannot read env file", "Stack %q: %s.", sd.s.Name, err)
		sd.s.EnvFile = ""
		return
	}
	sd.s.Env = secret.Bytes(b)
}

func (l *loader) stackBlocks(blocks hcl.Blocks, s *Stack) {
	once := map[string]*hcl.Block{}
	for _, b := range blocks {
		if b.Type != "port" {
			if prev, ok := once[b.Type]; ok {
				l.diags = append(l.diags, duplicate(b.Type+" block", s.Name, prev.DefRange, b.DefRange))
				continue
			}
			once[b.Type] = b
		}
		switch b.Type {
		case "place":
			l.place(b, s)
		case "port":
			l.port(b, s)
		case "health":
			a := l.attrsIn(l.content(b, healthSchema), l.ctx)
			a.duration("timeout", &s.Health.Timeout)
		case "resources":
			a := l.attrsIn(l.content(b, resourcesSchema), l.ctx)
			if a.number("cpus", &s.Resources.CPUs) && s.Resources.CPUs <= 0 {
				a.fail("cpus", "Invalid cpus", "cpus must be positive.")
			}
			a.size("memory", &s.Resources.Memory)
		case "update":
			l.update(b, s)
		}
	}
	if _, ok := once["place"]; !ok {
		s.Place.Hosts = append([]string{}, l.sel.all...)
	}
}

func (l *loader) place(b *hcl.Block, s *Stack) {
	a := l.attrsIn(l.content(b, placeSchema), l.ctx)
	s.Place.Hosts, _ = l.selectHosts(a, "hosts")
	if a.str("spread", &s.Place.Spread) && !labelKeyRule.MatchString(s.Place.Spread) {
		a.fail("spread", "Invalid spread label", "spread names a label key, such as \"zone\"; %s is not one.", quoteSafe(s.Place.Spread))
	}
}

func (l *loader) port(b *hcl.Block, s *Stack) {
	p := Port{Name: b.Labels[0], Protocol: "tcp", DeclRange: b.DefRange}
	if d := checkName("port", p.Name, nameRule, b.LabelRanges[0]); d != nil {
		l.diags = append(l.diags, d)
	}
	for _, prev := range s.Ports {
		if prev.Name == p.Name {
			l.diags = append(l.diags, duplicate("port", p.Name, prev.DeclRange, b.DefRange))
			return
		}
	}
	a := l.attrsIn(l.content(b, portSchema), l.ctx)
	if a.integer("container", &p.Container) {
		if err := checkPort(p.Container); err != nil {
			a.fail("container", "Invalid container port", "%s.", err)
		}
	}
	if a.integer("host", &p.Host) {
		if err := checkPort(p.Host); err != nil {
			a.fail("host", "Invalid host port", "%s.", err)
		}
	}
	a.str("service", &p.Service)
	a.oneOf("protocol", &p.Protocol, "tcp", "udp")
	if a.str("bind", &p.Bind) && p.Bind != BindAddress && net.ParseIP(p.Bind) == nil {
		a.fail("bind", "Invalid bind address", "bind is an IP address of the hosts, or %q for each host's own address; %s is neither.", BindAddress, quoteSafe(p.Bind))
	}
	s.Ports = append(s.Ports, p)
}

// serviceNames lists a project's services for suggestions.
func serviceNames(s *Stack) []string {
	if s.Project == nil {
		return nil
	}
	names := s.Project.ServiceNames()
	sort.Strings(names)
	return names
}

func trimDotSlash(p string) string { return strings.TrimPrefix(p, "./") }
