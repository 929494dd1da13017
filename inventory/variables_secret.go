package inventory

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-dev/berth/secret/sops"
)

// varsFromSecretFile sets variables from a decrypted -var-file: a binary SOPS file holds
// NAME = VALUE lines in HCL syntax, a dotenv one NAME=VALUE strings, a JSON one an object.
// Every variable it sets becomes sensitive, whatever its block says: its value was
// encrypted. The plaintext is parsed without registering it with the loader's parser, so no
// diagnostic ever shows a snippet of it.
func (l *loader) varsFromSecretFile(decl map[string]*variable, path string, data, plain []byte) {
	var body hcl.Body
	switch sops.Detect(data) {
	case sops.Dotenv:
		l.varsFromDotenv(decl, path, plain)
		return
	case sops.JSON:
		f, d := json.Parse(plain, path)
		if d.HasErrors() {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable file",
				Detail: fmt.Sprintf("%s (decrypted) is not a JSON object of variable values.", path)})
			return
		}
		body = f.Body
	default:
		f, d := hclsyntax.ParseConfig(plain, path, hcl.InitialPos)
		if d.HasErrors() {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable file",
				Detail: fmt.Sprintf("%s (decrypted) is not NAME = VALUE lines in HCL syntax.", path)})
			return
		}
		body = f.Body
	}
	as, d := body.JustAttributes()
	if d.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable file",
			Detail: fmt.Sprintf("%s (decrypted) may only set variables (NAME = VALUE).", path)})
		return
	}
	for _, name := range sortedKeys(as) {
		v, ok := decl[name]
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("The variable file %s sets %q, which no variable block declares.%s", path, name, suggest(name, sortedKeys(decl)))})
			continue
		}
		val, d := as[name].Expr.Value(nil)
		if d.HasErrors() {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: fmt.Sprintf("%s sets %q to something that is not a literal value.", path, name)})
			continue
		}
		v.value, v.sensitive = val, true
		v.valueRange = hcl.Range{Filename: "<" + path + ">", Start: hcl.InitialPos, End: hcl.InitialPos}
	}
}

func (l *loader) varsFromDotenv(decl map[string]*variable, path string, plain []byte) {
	for _, line := range strings.Split(string(plain), "\n") {
		k, val, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v, declared := decl[k]
		if !declared {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared variable",
				Detail: fmt.Sprintf("The variable file %s sets %q, which no variable block declares.%s", path, k, suggest(k, sortedKeys(decl)))})
			continue
		}
		val = strings.ReplaceAll(val, `\n`, "\n")
		v.value, v.sensitive = cty.StringVal(val), true
		v.valueRange = hcl.Range{Filename: "<" + path + ">", Start: hcl.InitialPos, End: hcl.InitialPos}
		if v.ty != cty.String {
			// Parsed as an expression, like BERTH_VAR_; the value is never quoted in a message.
			expr, d := hclsyntax.ParseExpression([]byte(val), path, hcl.InitialPos)
			var pv cty.Value
			if !d.HasErrors() {
				pv, d = expr.Value(nil)
			}
			if d.HasErrors() {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
					Detail: fmt.Sprintf("%s: the value of %s is not a literal of its type (the value is not shown: it was encrypted).", path, k)})
				continue
			}
			v.value = pv
		}
	}
}
