package inventory

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// suggestRefs adds "Did you mean" to hcl's "Unsupported attribute" errors on var., local. and
// host. references, from the names that exist (hcl itself does not know the candidates).
func (l *loader) suggestRefs() {
	for _, d := range l.diags {
		if d.Summary != "Unsupported attribute" || d.EvalContext == nil {
			continue
		}
		st, ok := d.Expression.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(st.Traversal) < 2 {
			continue
		}
		attr, ok := st.Traversal[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		if v, found := lookupVar(d.EvalContext, st.Traversal.RootName()); found && v.Type().IsObjectType() {
			d.Detail += suggest(attr.Name, sortedKeys(v.Type().AttributeTypes()))
		}
	}
}

// lookupVar finds a variable in an evaluation context or its parents.
func lookupVar(ctx *hcl.EvalContext, name string) (cty.Value, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		if v, ok := c.Variables[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}
