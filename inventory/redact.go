package inventory

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-dev/berth/secret"
)

// redactProject removes the env file's values from a loaded project: compose interpolates
// them into service environments, and the project is meant to be shown (plans, facts) while
// the env file is a secret. The project's own environment map (the env file itself) is dropped.
// Values shorter than 4 characters are redacted only where they are a whole value.
func redactProject(p *types.Project, secrets map[string]string) {
	p.Environment = nil
	var vals []string
	for _, k := range sortedKeys(secrets) {
		if v := secrets[k]; v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return
	}
	for name, svc := range p.Services {
		for k, v := range svc.Environment {
			if v != nil && leaks(*v, vals) {
				r := secret.Redacted
				svc.Environment[k] = &r
			}
		}
		for i, a := range svc.Command {
			if leaks(a, vals) {
				svc.Command[i] = secret.Redacted
			}
		}
		for k, v := range svc.Labels {
			if leaks(v, vals) {
				svc.Labels[k] = secret.Redacted
			}
		}
		p.Services[name] = svc
	}
}

func leaks(s string, secrets []string) bool {
	for _, v := range secrets {
		if s == v || (len(v) >= 4 && strings.Contains(s, v)) {
			return true
		}
	}
	return false
}

// redactString replaces every secret value (of 4 characters or more) in a message, such as a
// compose error quoting an interpolated value.
func redactString(msg string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			msg = strings.ReplaceAll(msg, v, secret.Redacted)
		}
	}
	return msg
}

// envValues returns the values of KEY=VALUE lines.
func envValues(kv []string) []string {
	var out []string
	for _, e := range kv {
		if _, v, ok := strings.Cut(e, "="); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// sensitiveValues keeps the values of sensitive variables (every string, number and bool in
// them) for Masker.
func (l *loader) sensitiveValues() {
	for _, name := range sortedKeys(l.vars) {
		v := l.vars[name]
		if !v.ContainsMarked() {
			continue
		}
		v, _ = v.UnmarkDeep()
		cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
			if !x.IsKnown() || x.IsNull() || !x.Type().IsPrimitiveType() {
				return true, nil
			}
			if s, err := convert.Convert(x, cty.String); err == nil {
				l.inv.SensitiveValues = append(l.inv.SensitiveValues, secret.Bytes(s.AsString()))
			}
			return true, nil
		})
	}
}

// Masker masks every value of every stack's env file and of every sensitive variable in
// what berth prints or journals (command output, error messages): see secret.MinLen for how
// short values are treated.
func (inv *Inventory) Masker() *secret.Masker {
	m := &secret.Masker{}
	for _, s := range inv.Stacks {
		env, err := parseDotEnv(s.Env)
		if err != nil {
			continue // the load reported it
		}
		for _, k := range sortedKeys(env) {
			m.AddNamed(k, env[k])
		}
	}
	for _, v := range inv.SensitiveValues {
		m.Add(string(v))
	}
	for _, k := range inv.certificateKeys() {
		m.Add(string(k))
	}
	return m
}
