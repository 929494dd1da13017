package inventory

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// ignoreRules are the patterns of a .berthignore (gitignore syntax) or a .dockerignore, in
// order: the last pattern that matches a path decides, and a path inside an ignored directory
// is ignored. Supported: comments (#), negation (!), a trailing / for directories only, a
// leading or inner / to anchor at the root, *, ?, [...] and **.
type ignoreRules []ignoreRule

type ignoreRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
}

// parseIgnore reads ignore patterns. With anchored (the .dockerignore rule) every pattern is
// relative to the root; otherwise (gitignore) a pattern without a slash matches at any depth.
func parseIgnore(b []byte, anchored bool) ignoreRules {
	var rules ignoreRules
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var r ignoreRule
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		} else if strings.HasPrefix(line, `\`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		line = strings.TrimPrefix(line, "./")
		rooted := anchored || strings.Contains(line, "/")
		line = strings.TrimPrefix(line, "/")
		if line == "" {
			continue
		}
		expr := globRegexp(line)
		if !rooted {
			expr = "(?:.*/)?" + expr
		}
		re, err := regexp.Compile("^" + expr + "$")
		if err != nil {
			continue // an invalid class: git ignores the pattern too
		}
		r.re = re
		rules = append(rules, r)
	}
	return rules
}

// globRegexp translates one glob into a regular expression (without anchors).
func globRegexp(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// ignored reports whether the file at rel (slash-separated) is ignored: the file itself, or
// one of the directories above it.
func (rs ignoreRules) ignored(rel string) bool {
	if len(rs) == 0 {
		return false
	}
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		if rs.match(strings.Join(parts[:i], "/"), true) {
			return true
		}
	}
	return rs.match(rel, false)
}

func (rs ignoreRules) match(p string, dir bool) bool {
	out := false
	for _, r := range rs {
		if r.dirOnly && !dir {
			continue
		}
		if r.re.MatchString(p) {
			out = !r.negate
		}
	}
	return out
}
