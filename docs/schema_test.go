package docs

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The inventory reference, docs/inventory.md, covers the schema both ways: every block type and
// attribute the loader accepts is documented there, and its snippets use nothing else.
//
// An attribute or nested block is documented when an hcl snippet of docs/inventory.md sets it
// at its place (an undo's attributes inside runbook > step > undo), or when the section of
// its top-level block (### stack) names it in backticks: `prune_images`, `ssh { }`, a table
// row. A top-level block type needs its own ### section.

const reference = "docs/inventory.md"

// TestSchemaComplete keeps inventory.Schema in step with the loader's schemas: every block
// type that can appear has an entry, so nothing escapes the documentation check.
func TestSchemaComplete(t *testing.T) {
	schema := inventory.Schema()
	for _, b := range inventory.RootBlocks() {
		if _, ok := schema[b]; !ok {
			t.Errorf("inventory.Schema has no entry for root block %q: add it to inventory/schema_list.go", b)
		}
	}
	for path, b := range schema {
		for _, nb := range b.Blocks {
			if _, ok := schema[path+"."+nb]; !ok {
				t.Errorf("inventory.Schema has no entry for %s.%s: add it to inventory/schema_list.go", path, nb)
			}
		}
	}
}

// TestReferenceDocumentsSchema wants every block type and attribute of the schema in
// docs/inventory.md.
func TestReferenceDocumentsSchema(t *testing.T) {
	d := referenceDoc(t)
	inSnippets := snippetNames(t, d)
	sections := sectionSpans(d)
	schema := inventory.Schema()
	var paths []string
	for p := range schema {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		top, _, nested := strings.Cut(path, ".")
		spans, ok := sections[top]
		if !ok {
			t.Errorf("%s has no \"### %s\" section for the %s block", reference, top, top)
			continue
		}
		if nested && !inSnippets[path] && !spans[lastName(path)] {
			t.Errorf("%s does not document the %s block (%s): show it in a snippet or name it in the %q section", reference, lastName(path), path, top)
		}
		for _, a := range schema[path].Attributes {
			if !inSnippets[path+"="+a] && !spans[a] {
				t.Errorf("%s does not document attribute %q of %s: show it in a snippet or name it in the %q section", reference, a, path, top)
			}
		}
	}
}

// TestReferenceSnippetsUseSchema wants every block and attribute written in a snippet of
// docs/inventory.md (except those marked as deliberate errors) to exist in the schema.
func TestReferenceSnippetsUseSchema(t *testing.T) {
	schema := inventory.Schema()
	roots := map[string]bool{}
	for _, b := range inventory.RootBlocks() {
		roots[b] = true
	}
	for name := range snippetNames(t, referenceDoc(t)) {
		path, attr, isAttr := strings.Cut(name, "=")
		parent, _, nested := cutLast(path)
		switch {
		case isAttr:
			if b, ok := schema[path]; ok && !b.Open && !contains(b.Attributes, attr) {
				t.Errorf("%s: a snippet sets %q in %s, which the schema does not have (it has %s)", reference, attr, path, strings.Join(b.Attributes, ", "))
			}
		case !nested && !roots[path]:
			t.Errorf("%s: a snippet has a top-level %q block, which the schema does not have", reference, path)
		case nested && !contains(schema[parent].Blocks, lastName(path)):
			t.Errorf("%s: a snippet has a %q block in %s, which the schema does not have", reference, lastName(path), parent)
		}
	}
}

func referenceDoc(t *testing.T) doc {
	t.Helper()
	for _, d := range readDocs(t) {
		if d.name == reference {
			return d
		}
	}
	t.Fatalf("%s not found", reference)
	return doc{}
}

// snippetNames parses the hcl snippets of d and returns what they write: block paths
// ("stack.port") and attributes ("stack.port=container"). Snippets marked as errors or
// skipped are left out: a snippet showing a refused attribute documents nothing, and may
// show one the schema does not have.
func snippetNames(t *testing.T, d doc) map[string]bool {
	t.Helper()
	fs, _ := fences(d)
	out := map[string]bool{}
	for _, f := range fs {
		if f.lang != "hcl" || f.marker != nil && (f.marker.skip != "" || f.marker.errSum != "") {
			continue
		}
		src, prefix := f.body, ""
		if f.marker != nil && f.marker.inRB {
			prefix = "runbook"
			out[prefix] = true
		}
		file, diags := hclsyntax.ParseConfig([]byte(src), f.String(), hcl.InitialPos)
		if diags.HasErrors() {
			t.Errorf("%s: does not parse: %s", f, diags.Error())
			continue
		}
		walkBody(file.Body.(*hclsyntax.Body), prefix, out)
	}
	return out
}

func walkBody(b *hclsyntax.Body, path string, out map[string]bool) {
	for name := range b.Attributes {
		out[path+"="+name] = true
	}
	for _, blk := range b.Blocks {
		p := blk.Type
		if path != "" {
			p = path + "." + blk.Type
		}
		out[p] = true
		walkBody(blk.Body, p, out)
	}
}

var (
	sectionRe = regexp.MustCompile(`^###\s+(\S+)\s*$`)
	headingRe = regexp.MustCompile(`^#{1,3}\s`)
	spanRe    = regexp.MustCompile("`([^`]+)`")
	wordRe    = regexp.MustCompile(`^[a-z_][a-z0-9_]*`)
)

// sectionSpans returns, per "### NAME" section of d, the first word of every backtick span
// of its prose (fenced blocks excluded): `spread`, `ssh { }`, `prune_images = true`.
func sectionSpans(d doc) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var cur map[string]bool
	inFence := ""
	for _, l := range d.lines {
		if fm := fenceRe.FindStringSubmatch(l); fm != nil {
			if inFence == "" {
				inFence = fm[2]
			} else if strings.Trim(strings.TrimSpace(l), inFence[:1]) == "" {
				inFence = ""
			}
			continue
		}
		if inFence != "" {
			continue
		}
		if m := sectionRe.FindStringSubmatch(l); m != nil {
			cur = map[string]bool{}
			out[m[1]] = cur
			continue
		}
		if headingRe.MatchString(l) {
			cur = nil
			continue
		}
		if cur == nil {
			continue
		}
		for _, s := range spanRe.FindAllStringSubmatch(l, -1) {
			if w := wordRe.FindString(s[1]); w != "" {
				cur[w] = true
			}
		}
	}
	return out
}

func lastName(path string) string {
	_, last, _ := cutLast(path)
	return last
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(path string) (string, string, bool) {
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return "", path, false
	}
	return path[:i], path[i+1:], true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
