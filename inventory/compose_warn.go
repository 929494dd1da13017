package inventory

import (
	"regexp"
	"sort"
	"sync"

	composeloader "github.com/compose-spec/compose-go/v2/loader"
	"github.com/hashicorp/hcl/v2"
)

// composeWarnings collects, for one stack, what docker compose would only log: variables used
// without a value, and the obsolete top-level version attribute. They become warnings on the
// stack's compose attribute instead of log lines (berth silences compose-go's logger).
type composeWarnings struct {
	mu      sync.Mutex
	missing map[string]bool
}

// lookupOption wraps compose's variable lookup to record the variables it could not find.
func (w *composeWarnings) lookupOption(o *composeloader.Options) {
	if o.Interpolate == nil {
		return
	}
	ip := *o.Interpolate
	prev := ip.LookupValue
	ip.LookupValue = func(k string) (string, bool) {
		v, ok := prev(k)
		if !ok {
			w.mu.Lock()
			w.missing[k] = true
			w.mu.Unlock()
		}
		return v, ok
	}
	o.Interpolate = &ip
}

var versionLine = regexp.MustCompile(`(?m)^version\s*:`)

// diags turns what was recorded into warnings. A missing variable is reported only where a
// compose file uses it without a default (${X} or $X, not ${X:-default} or ${X:?message}).
func (w *composeWarnings) diags(sd *stackDecl, files map[string][]byte) hcl.Diagnostics {
	var out hcl.Diagnostics
	names := sortedKeys(w.missing)
	for _, n := range names {
		bare := regexp.MustCompile(`\$\{` + regexp.QuoteMeta(n) + `\}|\$` + regexp.QuoteMeta(n) + `\b`)
		for _, f := range sortedFileNames(files) {
			if isYAML(f) && bare.Match(files[f]) {
				out = append(out, warnf(sd.composeRng, "Variable not set",
					"Stack %q: %s uses ${%s}, which neither the env file nor the stack's .env sets; compose will use an empty string.", sd.s.Name, f, n))
				break
			}
		}
	}
	var old []string
	for _, f := range sortedFileNames(files) {
		if isYAML(f) && versionLine.Match(files[f]) {
			old = append(old, f)
		}
	}
	sort.Strings(old)
	for _, f := range old {
		out = append(out, warnf(sd.composeRng, "Obsolete compose attribute",
			"Stack %q: %s sets the top-level version attribute, which compose ignores; remove it.", sd.s.Name, f))
	}
	return out
}

func isYAML(name string) bool {
	return regexp.MustCompile(`\.ya?ml$`).MatchString(name)
}
