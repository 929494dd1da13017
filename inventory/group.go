package inventory

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// groups decodes group blocks: explicit members (host names) plus hosts matching a label
// selector. A group may not share a name with a host, or selectors would be ambiguous.
func (l *loader) groups() {
	l.sel = newSelector(l.inv)
	seen := map[string]*Group{}
	for _, b := range l.blocks["group"] {
		g := &Group{Name: b.Labels[0], DeclRange: b.DefRange}
		if d := checkName("group", g.Name, nameRule, b.LabelRanges[0]); d != nil {
			l.diags = append(l.diags, d)
		}
		if prev, ok := seen[g.Name]; ok {
			l.diags = append(l.diags, duplicate("group", g.Name, prev.DeclRange, b.DefRange))
			continue
		}
		if h := l.hostNamed(g.Name); h != nil {
			l.diags = append(l.diags, errorf(b.LabelRanges[0], "Group named like a host",
				"The group %q has the name of the host declared at %s; selectors could not tell them apart.", g.Name, h.DeclRange.String()))
			continue
		}
		seen[g.Name] = g
		l.groupMembers(b, g)
		l.inv.Groups = append(l.inv.Groups, g)
	}
	sort.Slice(l.inv.Groups, func(i, j int) bool { return l.inv.Groups[i].Name < l.inv.Groups[j].Name })
	l.sel = newSelector(l.inv)
}

func (l *loader) groupMembers(b *hcl.Block, g *Group) {
	c := l.content(b, groupSchema)
	a := l.attrsIn(c, l.ctx)
	set := map[string]bool{}
	var members []string
	if a.strList("members", &members) {
		for _, m := range members {
			if l.hostNamed(m) == nil {
				a.fail("members", "Unknown host", "The group member %s is not a host of the inventory.%s", quoteSafe(m), suggest(m, l.sel.all))
				continue
			}
			set[m] = true
		}
	}
	var match string
	if a.str("match", &match) {
		names, _ := l.resolve(a, "match", match)
		for _, n := range names {
			set[n] = true
		}
	}
	if !a.has("members") && !a.has("match") {
		l.diags = append(l.diags, errorf(b.DefRange, "Empty group", "A group needs members (host names), match (a label selector) or both."))
	}
	g.Members = sortedKeys(set)
}

// resolve resolves one selector string and attaches its diagnostics to an attribute.
func (l *loader) resolve(a attrs, attr, sel string) ([]string, bool) {
	names, ds := l.sel.resolve(sel)
	for _, d := range ds {
		r := a.rng(attr, hcl.Range{})
		d.Subject = &r
		*a.diags = append(*a.diags, d)
	}
	return names, !ds.HasErrors()
}

// selectHosts evaluates a hosts attribute, a selector string or a list of them (a union).
func (l *loader) selectHosts(a attrs, attr string) ([]string, bool) {
	v, ok := a.value(attr, cty.DynamicPseudoType)
	if !ok {
		return nil, false
	}
	var sels []string
	if v.Type() == cty.String {
		sels = []string{v.AsString()}
	} else if !a.strList(attr, &sels) {
		return nil, false
	}
	if len(sels) == 0 {
		*a.diags = append(*a.diags, warnf(a.rng(attr, hcl.Range{}), "Selector selects no host", "%s is an empty list, so what uses it applies nowhere.", attr))
	}
	set := map[string]bool{}
	good := true
	for _, s := range sels {
		names, ok := l.resolve(a, attr, s)
		good = good && ok
		for _, n := range names {
			set[n] = true
		}
	}
	return sortedKeys(set), good
}

// hostContexts builds, for each host, the evaluation context of per-host blocks: the base
// context plus a host object (name, address, labels, vars).
func (l *loader) hostContexts() {
	for _, h := range l.inv.Hosts {
		ctx := l.ctx.NewChild()
		ctx.Variables = map[string]cty.Value{"host": cty.ObjectVal(map[string]cty.Value{
			"name":    cty.StringVal(h.Name),
			"address": cty.StringVal(h.Address),
			"labels":  strMapVal(h.Labels),
			"vars":    strMapVal(h.Vars),
		})}
		l.hctx[h.Name] = ctx
	}
}

func strMapVal(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := map[string]cty.Value{}
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// hostNamed finds a host through the selector's index (hosts are many; lookups are per host).
func (l *loader) hostNamed(name string) *Host { return l.sel.hosts[name] }
