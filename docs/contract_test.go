package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Markers. An hcl snippet is checked as it stands: loaded alone (with the files of
// testdata/tree beside it: compose directories, env files, templates) it must give no
// diagnostic at all. An HTML comment on the line before its fence (blank lines between are
// allowed, nothing else) says otherwise; it is invisible on GitHub:
//
//	<!-- check: with hosts, directory -->   load testdata/with/hosts.hcl and directory.hcl too
//	<!-- check: in runbook -->              the snippet is the body of a runbook (step blocks)
//	<!-- check: error "Duplicate host" -->  must fail, and only with errors of this summary
//	<!-- check: skip REASON -->             not checked; the reason is logged and counted
//
// Clauses combine with ";": <!-- check: with hosts; error "Unknown stack" -->.
// A marker that is not followed by an hcl fence is an error, and so is an unknown clause.

// doc is one Markdown file of the documentation.
type doc struct {
	name  string // as reported: README.md, docs/stacks.md
	lines []string
}

// docs returns README.md and every docs/*.md, sorted, read from the repository.
func readDocs(t *testing.T) []doc {
	t.Helper()
	names, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	paths := append([]string{"../README.md"}, names...)
	var out []doc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := "docs/" + p
		if p == "../README.md" {
			name = "README.md"
		}
		out = append(out, doc{name: name, lines: strings.Split(string(b), "\n")})
	}
	if len(out) < 5 {
		t.Fatalf("found %d documents, want README.md and docs/*.md", len(out))
	}
	return out
}

// fence is one fenced code block.
type fence struct {
	doc    string
	line   int    // 1-based line of the opening ```
	lang   string // the info string's first word: hcl, sh, json, "" ...
	body   string // the lines between the fences, each ending in "\n"
	marker *marker
}

func (f fence) String() string { return fmt.Sprintf("%s:%d", f.doc, f.line) }

// marker is a parsed <!-- check: ... --> comment.
type marker struct {
	line   int
	with   []string // fixture names under testdata/with
	inRB   bool     // wrap the snippet in a runbook block
	errSum string   // the snippet must fail with this summary
	skip   string   // reason for not checking
}

var (
	markerRe = regexp.MustCompile(`^\s*<!--\s*check:\s*(.*?)\s*-->\s*$`)
	fenceRe  = regexp.MustCompile("^(\\s*)(```+|~~~+)\\s*([^\\s`]*)")
	errorRe  = regexp.MustCompile(`^error\s+"([^"]+)"$`)
)

// parseMarker reads the clauses of a check marker.
func parseMarker(text string, line int) (*marker, error) {
	m := &marker{line: line}
	if r, ok := strings.CutPrefix(text, "skip"); ok {
		m.skip = strings.TrimSpace(r)
		if m.skip == "" || (r[0] != ' ' && r[0] != '\t') {
			return nil, fmt.Errorf("skip needs a reason: <!-- check: skip REASON -->")
		}
		return m, nil
	}
	for _, c := range strings.Split(text, ";") {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, "with "):
			for _, n := range strings.FieldsFunc(c[len("with "):], func(r rune) bool { return r == ',' || r == ' ' }) {
				m.with = append(m.with, n)
			}
		case c == "in runbook":
			m.inRB = true
		case errorRe.MatchString(c):
			m.errSum = errorRe.FindStringSubmatch(c)[1]
		default:
			return nil, fmt.Errorf("unknown check clause %q (want with NAMES, in runbook, error \"SUMMARY\" or skip REASON)", c)
		}
	}
	return m, nil
}

// fences returns the fenced code blocks of d with their markers. Problems with markers (a
// marker without an hcl fence after it, an unknown clause) are returned as errors.
func fences(d doc) ([]fence, []error) {
	var out []fence
	var errs []error
	var pending *marker
	for i := 0; i < len(d.lines); i++ {
		l := d.lines[i]
		if m := markerRe.FindStringSubmatch(l); m != nil {
			if pending != nil {
				errs = append(errs, fmt.Errorf("%s:%d: check marker not followed by an hcl fence", d.name, pending.line))
			}
			mk, err := parseMarker(m[1], i+1)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %v", d.name, i+1, err))
				mk = &marker{line: i + 1}
			}
			pending = mk
			continue
		}
		fm := fenceRe.FindStringSubmatch(l)
		if fm == nil {
			if strings.TrimSpace(l) != "" && pending != nil {
				errs = append(errs, fmt.Errorf("%s:%d: check marker not followed by an hcl fence", d.name, pending.line))
				pending = nil
			}
			continue
		}
		f := fence{doc: d.name, line: i + 1, lang: fm[3]}
		var body strings.Builder
		for i++; i < len(d.lines); i++ {
			if c := strings.TrimSpace(d.lines[i]); strings.HasPrefix(c, fm[2]) && strings.Trim(c, fm[2][:1]) == "" {
				break
			}
			body.WriteString(strings.TrimPrefix(d.lines[i], fm[1]) + "\n")
		}
		f.body = body.String()
		if pending != nil {
			if f.lang != "hcl" {
				errs = append(errs, fmt.Errorf("%s:%d: check marker before a %q fence, not an hcl one", d.name, pending.line, f.lang))
			} else {
				f.marker = pending
			}
			pending = nil
		}
		out = append(out, f)
	}
	if pending != nil {
		errs = append(errs, fmt.Errorf("%s:%d: check marker not followed by an hcl fence", d.name, pending.line))
	}
	return out, errs
}

// TestMarkers fails on malformed markers, so that a typo cannot silently uncheck a snippet.
func TestMarkers(t *testing.T) {
	for _, d := range readDocs(t) {
		_, errs := fences(d)
		for _, err := range errs {
			t.Error(err)
		}
	}
}
