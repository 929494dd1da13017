package inventory

import (
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A runbook step is `step "ID" { kind = "...", ... }`. kind says what the step does and so
// which attributes it takes; stepKinds lists, per kind, the attributes required and allowed
// beyond kind. Kind-specific values that have no field of Step land in Step.Attrs.
var stepKinds = map[string]struct{ required, allowed []string }{
	"apply":    {nil, []string{"hosts", "targets", "timeout"}},
	"exec":     {[]string{"command"}, []string{"hosts", "timeout"}},
	"wait":     {nil, []string{"hosts", "command", "url", "status", "timeout", "interval"}},
	"confirm":  {[]string{"message"}, nil},
	"balancer": {[]string{"balancer", "action"}, []string{"hosts", "stack", "weight", "timeout"}},
	"service":  {[]string{"service", "action"}, []string{"hosts", "timeout"}},
}

// stepAttrs are attributes stored in Step.Attrs as strings.
var stepAttrs = []string{"url", "status", "balancer", "action", "stack", "weight", "service"}

var stepSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "kind", Required: true}}}
	for _, n := range []string{"hosts", "command", "message", "targets", "timeout", "interval", "url", "status", "balancer", "action", "stack", "weight", "service"} {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}()

var stepSchemaWithUndo = &hcl.BodySchema{Attributes: stepSchema.Attributes, Blocks: []hcl.BlockHeaderSchema{{Type: "undo"}}}

func (l *loader) runbooks() {
	seen := map[string]*Runbook{}
	for _, b := range l.blocks["runbook"] {
		rb := &Runbook{Name: b.Labels[0], DeclRange: b.DefRange}
		if d := checkName("runbook", rb.Name, nameRule, b.LabelRanges[0]); d != nil {
			l.diags = append(l.diags, d)
		}
		if prev, ok := seen[rb.Name]; ok {
			l.diags = append(l.diags, duplicate("runbook", rb.Name, prev.DeclRange, b.DefRange))
			continue
		}
		seen[rb.Name] = rb
		l.runbookSteps(b, rb)
		l.inv.Runbooks = append(l.inv.Runbooks, rb)
	}
	sort.Slice(l.inv.Runbooks, func(i, j int) bool { return l.inv.Runbooks[i].Name < l.inv.Runbooks[j].Name })
}

func (l *loader) runbookSteps(b *hcl.Block, rb *Runbook) {
	c := l.content(b, runbookSchema)
	ids := map[string]*Step{}
	for _, sb := range c.Blocks {
		st := l.step(sb, stepSchemaWithUndo)
		if d := checkName("step", st.ID, nameRule, sb.LabelRanges[0]); d != nil {
			l.diags = append(l.diags, d)
		}
		if prev, ok := ids[st.ID]; ok {
			l.diags = append(l.diags, duplicate("step", st.ID, prev.DeclRange, sb.DefRange))
			continue
		}
		ids[st.ID] = st
		rb.Steps = append(rb.Steps, st)
	}
	if len(rb.Steps) == 0 {
		l.diags = append(l.diags, errorf(b.DefRange, "Empty runbook", "Runbook %q has no step blocks.", rb.Name))
	}
}

// step decodes one step (or an undo block, which has the same shape without its own undo).
func (l *loader) step(b *hcl.Block, schema *hcl.BodySchema) *Step {
	st := &Step{Attrs: map[string]string{}, DeclRange: b.DefRange}
	if len(b.Labels) > 0 {
		st.ID = b.Labels[0]
	}
	c := l.content(b, schema)
	a := l.attrsIn(c, l.ctx)
	kinds := sortedKeys(stepKinds)
	if !a.oneOf("kind", &st.Kind, kinds...) {
		return st
	}
	l.stepAttrsAllowed(a, st.Kind, b.DefRange)
	l.stepValues(a, st)
	for _, ub := range c.Blocks {
		st.Undo = l.step(ub, stepSchema)
		st.Undo.ID = st.ID + ".undo"
	}
	return st
}

func (l *loader) stepAttrsAllowed(a attrs, kind string, rng hcl.Range) {
	spec := stepKinds[kind]
	for _, r := range spec.required {
		if !a.has(r) {
			l.diags = append(l.diags, errorf(rng, "Missing required argument", "A %s step needs %q.", kind, r))
		}
	}
	if kind == "wait" && !a.has("url") && !a.has("command") {
		l.diags = append(l.diags, errorf(rng, "Missing required argument", "A wait step needs url or command."))
	}
	ok := append(append([]string{"kind"}, spec.required...), spec.allowed...)
	for _, name := range sortedKeys(a.m) {
		if !contains(ok, name) {
			a.fail(name, "Unsupported argument", "A %s step does not take %q; it takes %s.", kind, name, strings.Join(ok[1:], ", "))
		}
	}
}

func (l *loader) stepValues(a attrs, st *Step) {
	if a.has("hosts") {
		st.Hosts, _ = l.selectHosts(a, "hosts")
	}
	if a.has("command") {
		if v, ok := a.value("command", cty.DynamicPseudoType); ok && v.Type() == cty.String {
			a.fail("command", "Invalid command", "command is a list of arguments, such as [\"systemctl\", \"reload\", \"haproxy\"]; for a shell write [\"sh\", \"-c\", \"...\"].")
		} else if a.strList("command", &st.Command) && len(st.Command) == 0 {
			a.fail("command", "Invalid command", "command may not be empty.")
		}
	}
	a.str("message", &st.Message)
	a.strList("targets", &st.Targets)
	a.duration("timeout", &st.Timeout)
	a.duration("interval", &st.Interval)
	for _, n := range stepAttrs {
		var s string
		if a.str(n, &s) {
			st.Attrs[n] = s
		}
	}
	l.stepActions(a, st)
	l.stepRefs(a, st)
}

// stepActions checks the values of action, status and weight.
func (l *loader) stepActions(a attrs, st *Step) {
	actions := map[string][]string{"balancer": {"drain", "ready", "weight"}, "service": {"start", "stop", "restart", "reload"}}
	if act, ok := st.Attrs["action"]; ok && !contains(actions[st.Kind], act) {
		a.fail("action", "Invalid action", "A %s step's action is one of %q, not %q.%s", st.Kind, actions[st.Kind], act, suggest(act, actions[st.Kind]))
	}
	if w, ok := st.Attrs["weight"]; ok {
		if n, err := strconv.Atoi(w); err != nil || n < 0 || n > 256 {
			a.fail("weight", "Invalid weight", "weight is a number from 0 to 256 (HAProxy server weight).")
		}
	}
	if s, ok := st.Attrs["status"]; ok {
		if n, err := strconv.Atoi(s); err != nil || n < 100 || n > 599 {
			a.fail("status", "Invalid status", "status is an HTTP status code such as 200.")
		}
	}
	if st.Kind == "balancer" && st.Attrs["action"] == "weight" && st.Attrs["weight"] == "" {
		l.diags = append(l.diags, errorf(st.DeclRange, "Missing required argument", "A balancer step with action \"weight\" needs weight."))
	}
}

// stepRefs checks the names a step refers to: balancers, stacks, apply targets.
func (l *loader) stepRefs(a attrs, st *Step) {
	if n, ok := st.Attrs["balancer"]; ok && !l.hasBalancer(n) {
		a.fail("balancer", "Unknown balancer", "No balancer named %q is declared.%s", n, suggest(n, l.balancerNames()))
	}
	if n, ok := st.Attrs["stack"]; ok && l.stackNamed(n) == nil {
		a.fail("stack", "Unknown stack", "No stack named %q is declared.%s", n, suggest(n, l.stackNames()))
	}
	for _, t := range st.Targets {
		if name, ok := strings.CutPrefix(t, "stack."); ok && l.stackNamed(name) == nil {
			a.fail("targets", "Unknown target", "The target %q names no declared stack.%s", t, suggest(name, l.stackNames()))
		} else if !ok && !validTarget(t) {
			a.fail("targets", "Invalid target", "The target %q is not an address: use docker, syslog, stack.NAME, file.PATH, directory.PATH, package.NAME or service.NAME.", t)
		}
	}
}

func validTarget(t string) bool {
	if t == "docker" || t == "syslog" {
		return true
	}
	for _, p := range []string{"file./", "directory./", "package.", "service."} {
		if strings.HasPrefix(t, p) && len(t) > len(p) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) hasBalancer(n string) bool { return contains(l.balancerNames(), n) }

func (l *loader) balancerNames() []string {
	var out []string
	for _, b := range l.inv.Balancers {
		out = append(out, b.Name)
	}
	return out
}

func (l *loader) stackNamed(n string) *Stack {
	for _, s := range l.inv.Stacks {
		if s.Name == n {
			return s
		}
	}
	return nil
}

func (l *loader) stackNames() []string {
	var out []string
	for _, s := range l.inv.Stacks {
		out = append(out, s.Name)
	}
	return out
}
