package inventory

import (
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// attrs evaluates the attributes of one block in one evaluation context and collects every
// problem in diags, so that a block with three bad attributes reports all three.
type attrs struct {
	m     hcl.Attributes
	ctx   *hcl.EvalContext
	diags *hcl.Diagnostics
	// secretOK names the attributes that may hold a value derived from a sensitive variable;
	// secret records those that did. Any other attribute refuses such a value, since berth
	// shows it in plans, events and on the hosts' command lines.
	secretOK, secret map[string]bool
}

// sensitiveMark marks values derived from a variable declared sensitive.
const sensitiveMark = "sensitive"

func (a attrs) has(name string) bool { _, ok := a.m[name]; return ok }

// rng is the range of an attribute's value, or def when it is absent.
func (a attrs) rng(name string, def hcl.Range) hcl.Range {
	if at, ok := a.m[name]; ok {
		return at.Expr.Range()
	}
	return def
}

func (a attrs) fail(name string, summary, detail string, args ...any) {
	*a.diags = append(*a.diags, errorf(a.m[name].Expr.Range(), summary, detail, args...))
}

// value evaluates an attribute and converts it to ty; ok is false when absent, null or wrong.
func (a attrs) value(name string, ty cty.Type) (cty.Value, bool) {
	at, ok := a.m[name]
	if !ok {
		return cty.NilVal, false
	}
	v, d := at.Expr.Value(a.ctx)
	*a.diags = append(*a.diags, d...)
	if d.HasErrors() {
		return cty.NilVal, false
	}
	if v.ContainsMarked() {
		v, _ = v.UnmarkDeep()
		if !a.secretOK[name] {
			a.fail(name, "Sensitive value not allowed here",
				"%s is derived from a variable declared sensitive, and berth shows %s in plans, events and on the hosts' command lines. Only a file's content may hold a sensitive value (its diffs are hidden).", name, name)
			return cty.NilVal, false
		}
		a.secret[name] = true
	}
	if v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		// Only an earlier error (a variable or local that failed) makes a value unknown;
		// that error is reported already, so this use of it stays silent.
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		a.fail(name, "Incorrect attribute value type", "Inappropriate value for attribute %q: %s.", name, convErr(err))
		return cty.NilVal, false
	}
	return cv, true
}

func convErr(err error) string {
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("%s: %s", pathString(pe.Path), pe.Error())
	}
	return err.Error()
}

func pathString(p cty.Path) string {
	s := ""
	for _, st := range p {
		switch st := st.(type) {
		case cty.GetAttrStep:
			s += "." + st.Name
		case cty.IndexStep:
			s += fmt.Sprintf("[%s]", st.Key.GoString())
		}
	}
	return "element " + s
}

func (a attrs) str(name string, dst *string) bool {
	v, ok := a.value(name, cty.String)
	if ok {
		*dst = v.AsString()
	}
	return ok
}

func (a attrs) boolean(name string, dst *bool) bool {
	v, ok := a.value(name, cty.Bool)
	if ok {
		*dst = v.True()
	}
	return ok
}

func (a attrs) number(name string, dst *float64) bool {
	v, ok := a.value(name, cty.Number)
	if ok {
		f, _ := v.AsBigFloat().Float64()
		*dst = f
	}
	return ok
}

func (a attrs) integer(name string, dst *int) bool {
	v, ok := a.value(name, cty.Number)
	if !ok {
		return false
	}
	if err := gocty.FromCtyValue(v, dst); err != nil || !v.AsBigFloat().IsInt() {
		a.fail(name, "Invalid number", "%q must be a whole number.", name)
		return false
	}
	return true
}

func (a attrs) strList(name string, dst *[]string) bool {
	v, ok := a.value(name, cty.List(cty.String))
	if !ok {
		return false
	}
	out := []string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			a.fail(name, "Null list element", "%q must not contain null.", name)
			return false
		}
		out = append(out, e.AsString())
	}
	*dst = out
	return true
}

func (a attrs) strMap(name string, dst *map[string]string) bool {
	v, ok := a.value(name, cty.Map(cty.String))
	if !ok {
		return false
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if e.IsNull() {
			a.fail(name, "Null map element", "%q must not contain null (key %q).", name, k)
			return false
		}
		out[k] = e.AsString()
	}
	*dst = out
	return true
}

func (a attrs) duration(name string, dst *time.Duration) bool {
	var s string
	if !a.str(name, &s) {
		return false
	}
	d, err := parseDuration(s)
	if err != nil {
		a.fail(name, "Invalid duration", "%s.", err)
		return false
	}
	*dst = d
	return true
}

// size accepts a number of bytes or a string with a unit ("8GiB").
func (a attrs) size(name string, dst *int64) bool {
	var s string
	if !a.str(name, &s) {
		return false
	}
	n, err := parseSize(s)
	if err != nil {
		a.fail(name, "Invalid size", "%s.", err)
		return false
	}
	*dst = n
	return true
}

// oneOf reads a string attribute that must be one of the allowed values.
func (a attrs) oneOf(name string, dst *string, allowed ...string) bool {
	var s string
	if !a.str(name, &s) {
		return false
	}
	for _, v := range allowed {
		if s == v {
			*dst = s
			return true
		}
	}
	a.fail(name, "Invalid value", "%q must be one of %q, not %s.%s", name, allowed, quoteSafe(s), suggest(s, allowed))
	return false
}

// sortedKeys returns the keys of a map in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
