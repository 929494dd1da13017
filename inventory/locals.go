package inventory

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// locals evaluates every locals attribute in dependency order (a local may use other locals),
// reporting duplicates and cycles.
func (l *loader) locals() {
	defs := map[string]*hcl.Attribute{}
	for _, b := range l.blocks["locals"] {
		as, d := b.Body.JustAttributes()
		l.diags = append(l.diags, d...)
		for _, name := range sortedKeys(as) {
			if prev, ok := defs[name]; ok {
				l.diags = append(l.diags, duplicate("local value", name, prev.NameRange, as[name].NameRange))
				continue
			}
			defs[name] = as[name]
		}
	}
	vals := map[string]cty.Value{}
	state := map[string]int{} // 0 new, 1 evaluating, 2 done
	for _, name := range sortedKeys(defs) {
		l.evalLocal(name, defs, vals, state)
	}
	l.ctx.Variables["local"] = cty.ObjectVal(vals)
}

func (l *loader) evalLocal(name string, defs map[string]*hcl.Attribute, vals map[string]cty.Value, state map[string]int) {
	switch state[name] {
	case 2:
		return
	case 1:
		l.diags = append(l.diags, errorf(defs[name].NameRange, "Cycle in local values",
			"local.%s depends on itself through other local values.", name))
		vals[name] = cty.DynamicVal
		return
	}
	state[name] = 1
	at := defs[name]
	for _, tr := range at.Expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if step, ok := tr[1].(hcl.TraverseAttr); ok {
			if _, known := defs[step.Name]; known {
				l.evalLocal(step.Name, defs, vals, state)
			}
		}
	}
	ctx := l.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{"local": cty.ObjectVal(vals)}
	v, d := at.Expr.Value(ctx)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		v = cty.DynamicVal
	}
	if state[name] != 2 {
		vals[name], state[name] = v, 2
	}
}
