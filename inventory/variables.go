package inventory

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// variable is a declared input variable while it is being resolved.
type variable struct {
	name        string
	ty          cty.Type
	defaults    *typeexpr.Defaults
	value       cty.Value
	valueRange  hcl.Range // where the value came from, for messages
	validations []*hcl.Block
	block       *hcl.Block
	sensitive   bool      // its value is marked, and never shown (see attrs.value)
	fromCommand []string  // argv whose output is the value when nothing else sets it
	cmdRange    hcl.Range // from_command's range
}

// variables resolves every variable block: default, then BERTH_VAR_NAME, then -var-file files
// in order, then -var, the later winning (as in Terraform). Each value is converted to the
// declared type and checked by the variable's validation blocks.
func (l *loader) variables() {
	decl := map[string]*variable{}
	for _, b := range l.blocks["variable"] {
		v := l.declareVariable(b)
		if prev, ok := decl[v.name]; ok {
			l.diags = append(l.diags, duplicate("variable", v.name, prev.block.DefRange, b.DefRange))
			continue
		}
		decl[v.name] = v
	}
	declared := map[string]hcl.Range{} // where each value came from before the outside sources
	for name, v := range decl {
		declared[name] = v.valueRange
	}
	l.varsFromEnv(decl)
	for _, f := range l.opts.VarFiles {
		l.varsFromFile(decl, f)
	}
	l.varsFromFlags(decl)
	l.varsFromCommands(decl, declared)
	l.vars = map[string]cty.Value{}
	for _, name := range sortedKeys(decl) {
		l.finishVariable(decl[name])
	}
	l.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(l.vars)},
		Functions: functions(l.inv.Dir, l.opts.getenv, l.in),
	}
}

func (l *loader) declareVariable(b *hcl.Block) *variable {
	v := &variable{name: b.Labels[0], ty: cty.DynamicPseudoType, block: b, valueRange: b.DefRange}
	if d := checkName("variable", v.name, nameRule, b.LabelRanges[0]); d != nil {
		l.diags = append(l.diags, d)
	}
	c := l.content(b, variableSchema)
	if at, ok := c.Attributes["type"]; ok {
		ty, defs, d := typeexpr.TypeConstraintWithDefaults(at.Expr)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() {
			v.ty, v.defaults = ty, defs
		}
	}
	if at, ok := c.Attributes["default"]; ok {
		val, d := at.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		v.value, v.valueRange = val, at.Expr.Range()
	}
	if at, ok := c.Attributes["sensitive"]; ok {
		val, d := at.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if b, err := convert.Convert(val, cty.Bool); err != nil || b.IsNull() || !b.IsKnown() {
			l.diags = append(l.diags, errorf(at.Expr.Range(), "Invalid sensitive", "sensitive must be true or false."))
		} else {
			v.sensitive = b.True()
		}
	}
	l.declareFromCommand(v, c)
	for _, vb := range c.Blocks {
		l.content(vb, validationSchema)
		v.validations = append(v.validations, vb)
	}
	return v
}

func (l *loader) varsFromEnv(decl map[string]*variable) {
	for _, name := range sortedKeys(decl) {
		raw := l.opts.getenv("BERTH_VAR_" + name)
		if raw == "" {
			continue
		}
		l.setRaw(decl[name], raw, "BERTH_VAR_"+name)
	}
}

func (l *loader) varsFromFlags(decl map[string]*variable) {
	for _, name := range sortedKeys(l.opts.Vars) {
		v, ok := decl[name]
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("-var sets %q, which no variable block declares.%s", name, suggest(name, sortedKeys(decl)))})
			continue
		}
		l.setRaw(v, l.opts.Vars[name], "-var "+name)
	}
}

// setRaw sets a variable from a command-line or environment string: taken literally for a
// string variable, parsed as an HCL expression otherwise (so lists and maps can be passed).
func (l *loader) setRaw(v *variable, raw, source string) {
	fake := hcl.Range{Filename: "<" + source + ">", Start: hcl.InitialPos, End: hcl.InitialPos}
	if v.ty == cty.String {
		v.value, v.valueRange = cty.StringVal(raw), fake
		return
	}
	expr, d := hclsyntax.ParseExpression([]byte(raw), fake.Filename, hcl.InitialPos)
	if d.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("%s: %q is not a valid expression for a value of type %s.", source, raw, typeexpr.TypeString(v.ty))})
		return
	}
	val, d := expr.Value(nil)
	if d.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("%s: the value may not refer to anything (use a literal).", source)})
		return
	}
	v.value, v.valueRange = val, fake
}

// varsFromFile reads a -var-file: NAME = VALUE lines in HCL syntax.
func (l *loader) varsFromFile(decl map[string]*variable, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variable file", Detail: err.Error()})
		return
	}
	l.in.addFile("var-file:"+path, b)
	plain, encrypted, err := l.openSecret(path, b)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot decrypt variable file", Detail: err.Error()})
		return
	}
	if encrypted {
		l.varsFromSecretFile(decl, path, b, plain)
		return
	}
	f, d := l.parser.ParseHCL(b, path)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return
	}
	as, d := f.Body.JustAttributes()
	l.diags = append(l.diags, d...)
	for _, name := range sortedKeys(as) {
		at := as[name]
		v, ok := decl[name]
		if !ok {
			l.diags = append(l.diags, errorf(at.NameRange, "Undeclared variable",
				"The variable file sets %q, which no variable block declares.%s", name, suggest(name, sortedKeys(decl))))
			continue
		}
		val, d := at.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		v.value, v.valueRange = val, at.Expr.Range()
	}
}

// finishVariable converts the chosen value to the declared type and runs the validations.
func (l *loader) finishVariable(v *variable) {
	if v.value == cty.NilVal {
		l.diags = append(l.diags, errorf(v.block.DefRange, "No value for required variable",
			"The variable %q has no default; set it with -var %s=..., a -var-file or the environment variable BERTH_VAR_%s.", v.name, v.name, v.name))
		l.vars[v.name] = cty.DynamicVal
		return
	}
	val := v.value
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	cv, err := convert.Convert(val, v.ty)
	if err != nil {
		l.diags = append(l.diags, errorf(v.valueRange, "Invalid value for variable",
			"The value for variable %q is not a %s: %s.", v.name, typeexpr.TypeString(v.ty), convErr(err)))
		cv = cty.UnknownVal(v.ty)
	}
	if v.sensitive {
		cv = cv.Mark(sensitiveMark)
	}
	l.vars[v.name] = cv
	if cv.IsKnown() {
		l.validateVariable(v, cv)
	}
}

func (l *loader) validateVariable(v *variable, val cty.Value) {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: val})},
		Functions: functions(l.inv.Dir, l.opts.getenv, l.in),
	}
	for _, vb := range v.validations {
		c, _ := vb.Body.Content(validationSchema)
		cond, ok := c.Attributes["condition"]
		msgAt, ok2 := c.Attributes["error_message"]
		if !ok || !ok2 {
			continue
		}
		res, d := cond.Expr.Value(ctx)
		l.diags = append(l.diags, d...)
		if d.HasErrors() {
			continue
		}
		res, _ = res.UnmarkDeep()
		if res, err := convert.Convert(res, cty.Bool); err != nil || res.IsNull() {
			l.diags = append(l.diags, errorf(cond.Expr.Range(), "Invalid validation condition", "The condition must be true or false."))
			continue
		} else if res.True() {
			continue
		}
		msg, d := msgAt.Expr.Value(ctx)
		text := "The value is not valid."
		if msg.ContainsMarked() {
			text = "The value is not valid (the error message uses the sensitive value, so it is not shown)."
		} else if !d.HasErrors() && msg.Type() == cty.String && msg.IsKnown() && !msg.IsNull() {
			text = msg.AsString()
		}
		l.diags = append(l.diags, errorf(v.valueRange, "Invalid value for variable", "%s\n\nThis was checked by the validation rule at %s.", text, cond.Expr.Range().String()))
	}
}
