package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-dev/berth/secret/sops"
)

// loader carries the state of one Load: the inventory being built, every diagnostic so far,
// and the evaluation contexts.
type loader struct {
	opts   Options
	inv    *Inventory
	diags  hcl.Diagnostics
	parser *hclparse.Parser
	blocks map[string][]*hcl.Block // top-level blocks by type, in file order
	in     *inputs
	ctx    *hcl.EvalContext            // var, local and functions
	hctx   map[string]*hcl.EvalContext // per host: ctx plus the host object
	vars   map[string]cty.Value
	sel    *selector
	files  []string // inventory files, relative names, sorted
	// keys open SOPS files; loaded on the first encrypted file (see openSecret).
	keys    *sops.Keys
	keysErr error
	// contents holds each distinct file content once, by SHA-256, held bytes counts those
	// held, and replay is shared by those that are not (see hold).
	contents map[[32]byte]content
	held     int
	replay   *replay
	// pieces are the runs of host-layer blocks of big files kept as source (see piece.go),
	// by file while parsing, by block type from collect on. noPieces parses every block at
	// once; again says a piece did not parse as scanned, so the load must start again so.
	pieces   map[string][]*piece
	noPieces bool
	again    bool
}

// Load reads the *.hcl files of dir as one inventory and returns the validated model with
// every problem found, errors and warnings, as diagnostics with source ranges. The returned
// Inventory is never nil and keeps Files even when there are errors, so callers can print the
// diagnostics with snippets. The model is only complete when diags has no errors.
func Load(dir string, opts Options) (*Inventory, hcl.Diagnostics) {
	l := newLoader(dir, opts)
	l.load()
	if l.again {
		l = newLoader(dir, opts)
		l.noPieces = true
		l.load()
	}
	l.suggestRefs()
	l.inv.Files = sourcesOnly(l.parser.Files())
	sortDiags(l.diags)
	return l.inv, uniqDiags(l.diags)
}

func newLoader(dir string, opts Options) *loader {
	l := &loader{opts: opts, parser: hclparse.NewParser(), blocks: map[string][]*hcl.Block{},
		in: &inputs{files: map[string][]byte{}, env: map[string]string{}}, hctx: map[string]*hcl.EvalContext{},
		pieces: map[string][]*piece{}}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	l.inv = &Inventory{Dir: abs, Files: l.parser.Files()}
	return l
}

// sourcesOnly keeps each file's bytes and lets the syntax trees go: they are ten times the
// source (25 MB for a 1000-host inventory) and held for the whole run only in case a
// diagnostic is printed. WithSyntax brings them back for that.
func sourcesOnly(files map[string]*hcl.File) map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		out[name] = &hcl.File{Bytes: f.Bytes}
	}
	return out
}

// WithSyntax returns Inventory.Files with each file's syntax tree parsed again, for a
// diagnostic writer: it shows the source line from the bytes and the enclosing block
// ("in host \"web-1\"") from the tree.
func WithSyntax(files map[string]*hcl.File) map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f.Body == nil && f.Bytes != nil {
			if parsed, _ := hclsyntax.ParseConfig(f.Bytes, name, hcl.InitialPos); parsed != nil {
				f = parsed
			}
		}
		out[name] = f
	}
	return out
}

// load runs the phases in order; a phase that found errors stops the later ones only when
// they would just repeat the same problem.
func (l *loader) load() {
	if !l.parse() {
		return
	}
	l.collect()
	l.variables()
	l.sensitiveValues()
	l.locals()
	l.defaults()
	l.hosts()
	l.sources()
	l.groups()
	l.hostContexts()
	l.hostLayer()
	if l.again {
		return
	}
	l.swarm()
	l.stacks()
	l.balancers()
	l.runbooks()
	l.crossChecks()
	l.updateChecks()
	l.inv.Hash = l.hash()
}

// parse reads and parses every *.hcl file; syntax errors stop the load, as in Terraform.
func (l *loader) parse() bool {
	names, err := filepath.Glob(filepath.Join(l.inv.Dir, "*.hcl"))
	if err != nil || len(names) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No inventory files",
			Detail: "The directory " + l.inv.Dir + " has no *.hcl files (or cannot be read)."})
		return false
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasPrefix(filepath.Base(n), ".") {
			continue // editor lock and backup files (.#main.hcl)
		}
		b, err := os.ReadFile(n)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read inventory file", Detail: err.Error()})
			continue
		}
		l.in.addFile(l.rel(n), b)
		l.files = append(l.files, l.rel(n))
		var f *hcl.File
		var d hcl.Diagnostics
		if len(b) >= bigFile && !l.noPieces {
			f, l.pieces[l.rel(n)], d = parseDeferring(b, l.rel(n))
		}
		if len(b) >= bigFile && f == nil {
			f, d = parseInPieces(b, l.rel(n)) // nil: parsed whole, below
		}
		if f != nil {
			l.parser.AddFile(l.rel(n), f)
		} else {
			_, d = l.parser.ParseHCL(b, l.rel(n))
		}
		l.diags = append(l.diags, d...)
	}
	return !l.diags.HasErrors()
}

// rel names a file relative to the inventory directory, as diagnostics show it.
func (l *loader) rel(p string) string {
	r, err := filepath.Rel(l.inv.Dir, p)
	if err != nil || strings.HasPrefix(r, "..") {
		return p
	}
	return r
}

// collect checks every file against the root schema and groups the blocks by type, and
// the pieces by the type of their blocks, each with its place among the parsed ones.
func (l *loader) collect() {
	byFile := l.pieces
	l.pieces = map[string][]*piece{}
	for _, name := range l.files {
		content, d := l.parser.Files()[name].Body.Content(rootSchema)
		l.diags = append(l.diags, d...)
		pcs := byFile[name]
		for _, b := range content.Blocks {
			for len(pcs) > 0 && pcs[0].pos.Byte < b.DefRange.Start.Byte {
				l.addPiece(pcs[0])
				pcs = pcs[1:]
			}
			l.blocks[b.Type] = append(l.blocks[b.Type], b)
		}
		for _, p := range pcs {
			l.addPiece(p)
		}
	}
}

func (l *loader) addPiece(p *piece) {
	p.seq = len(l.blocks[p.typ])
	l.pieces[p.typ] = append(l.pieces[p.typ], p)
}

// content decodes a block body against its schema, collecting diagnostics.
func (l *loader) content(b *hcl.Block, s *hcl.BodySchema) *hcl.BodyContent {
	c, d := b.Body.Content(s)
	l.diags = append(l.diags, d...)
	return c
}

// attrsIn evaluates a body's attributes in ctx.
func (l *loader) attrsIn(c *hcl.BodyContent, ctx *hcl.EvalContext) attrs {
	return attrs{m: c.Attributes, ctx: ctx, diags: &l.diags, secretOK: map[string]bool{}, secret: map[string]bool{}}
}

// sortDiags orders diagnostics by file and position, errors of one place together, so the
// output is the same on every run.
func sortDiags(ds hcl.Diagnostics) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Subject, ds[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		}
		return ds[i].Summary < ds[j].Summary
	})
}

// uniqDiags drops repeated diagnostics: a block evaluated for many hosts reports a problem
// that does not depend on the host once, not once per host.
func uniqDiags(ds hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	out := ds[:0]
	for _, d := range ds {
		key := fmt.Sprintf("%d|%s|%s", d.Severity, d.Summary, d.Detail)
		if d.Subject != nil {
			key += "|" + d.Subject.String()
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}
