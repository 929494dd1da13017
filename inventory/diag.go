package inventory

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// errorf builds an error diagnostic on a source range.
func errorf(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &r}
}

// warnf builds a warning diagnostic on a source range.
func warnf(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &r}
}

// duplicate reports a second definition of something and cites the first.
func duplicate(what, name string, prev, cur hcl.Range) *hcl.Diagnostic {
	return errorf(cur, "Duplicate "+what,
		"A %s named %q was already defined at %s. Each %s name must be unique.", what, name, prev.String(), what)
}

// suggest returns ` Did you mean "x"?` when a candidate is close to name, else "".
func suggest(name string, candidates []string) string {
	if s := closest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}
