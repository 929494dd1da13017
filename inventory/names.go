package inventory

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// nameRule is what host, group, balancer, runbook and step names must look like: they end up
// in file names, compose project names, log tags and shell commands, so the alphabet is small.
var nameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// stackNameRule is a valid compose project name (no dots), since a stack name is the project name.
var stackNameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// labelKeyRule is a label key usable in selectors.
var labelKeyRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$`)

const nameHelp = "Names start with a lowercase letter or digit and contain only lowercase letters, digits, '.', '_' and '-' (at most 63 characters)."
const stackNameHelp = "A stack name is its compose project name: it starts with a lowercase letter or digit and contains only lowercase letters, digits, '_' and '-' (at most 63 characters)."

// checkName validates a block label against a rule and reports it on rng.
func checkName(what, name string, rule *regexp.Regexp, rng hcl.Range) *hcl.Diagnostic {
	if rule.MatchString(name) {
		return nil
	}
	help := nameHelp
	if rule == stackNameRule {
		help = stackNameHelp
	}
	return errorf(rng, "Invalid "+what+" name", "%s %s is not a valid name. %s", what, quoteSafe(name), help)
}

// quoteSafe quotes a user string so control characters show as escapes, never raw.
func quoteSafe(s string) string { return strconv.Quote(s) }

// hasControl reports whether s contains a control or whitespace character.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0
}

// closest returns the candidate nearest to s when it is close enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(s, c, nil); d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > len(s)/2+1 {
		return ""
	}
	return best
}

func nameRuleOf(expr string) *regexp.Regexp { return regexp.MustCompile(expr) }
