package inventory

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A big inventory is mostly host-layer blocks: the benchmark's 1000 hosts with 100 files
// each are 100,000 file blocks, whose syntax trees (about 2.5 KB each) all stayed alive until
// the host layer had evaluated the last one, 4 times the inventory they produce. So in a big
// file (see chunk.go), a run of host-layer blocks of one type is not parsed with the rest: it
// is kept as a piece, a range of the source, and the host layer parses, evaluates and drops
// one piece at a time, once the hosts and their contexts are known. Its blocks are evaluated
// in the same order as if they had been parsed with the rest, so the inventory and its
// diagnostics are the same.
//
// The first pass only scans a piece (scanItems): it must be certain that the piece holds
// nothing but whole blocks of its type, with plain labels. Whether the blocks' bodies parse
// is only known when the host layer parses them; when a piece does not parse as scanned,
// the load starts again without pieces (Load), so that a syntax error stops the load before
// anything is evaluated, as in any other file.

// pieceLabels are the block types kept as pieces, with their number of labels: the types
// the host layer evaluates per host (loader.each).
var pieceLabels = map[string]int{
	"docker": 0, "syslog": 0, "file": 1, "directory": 1, "package": 1, "service": 1, "registry": 1,
}

// minPiece is the size of the smallest run of blocks kept as a piece: smaller runs are not
// worth a parse of their own. pieceSize is about how big a piece is: small, as the tokens of
// what is parsed at once (60 bytes per byte) are garbage as soon as it is parsed. Variables
// for tests.
var minPiece, pieceSize = 16 << 10, 32 << 10

// piece is a run of top-level blocks of one type in a big file, kept as source until the
// host layer evaluates it.
type piece struct {
	file string
	src  []byte  // the run's bytes, within the file's
	pos  hcl.Pos // where src starts in the file
	typ  string
	n    int // blocks in the run
	// seq is how many blocks of typ, parsed with the rest, come before the piece in the
	// inventory's order (files by name, then source order): where the host layer takes it.
	seq int
}

// item is a top-level item of a file as scanItems sees it: where it starts, and its block
// type when the scanner is certain it is exactly one block of a type in pieceLabels, with
// plain labels ("" otherwise).
type item struct {
	start int
	typ   string
}

// scanItems returns the top-level items of src, each starting at a line that begins with a
// letter outside any bracket, string, heredoc or comment (cutPoints' rule), or nil when src
// has anything it does not follow with certainty. An item's typ is only set when its header
// is TYPE "label"... { and nothing but whitespace and comments follows the block's closing
// brace until the next item.
func scanItems(src []byte) []item {
	var items []item
	depth, closed := 0, false // closed: the current item's block has ended
	for i := 0; i < len(src); {
		if depth == 0 && (i == 0 || src[i-1] == '\n') && isLetter(src[i]) {
			typ, body := blockHeader(src, i)
			items = append(items, item{start: i, typ: typ})
			closed = false
			if typ != "" {
				i, depth = body, 1
				continue
			}
		}
		c := src[i]
		comment := c == '#' || c == '/' && (byteAt(src, i+1) == '/' || byteAt(src, i+1) == '*')
		if depth == 0 && closed && !isSpace(c) && !comment {
			items[len(items)-1].typ = "" // more than one block
		}
		var ok bool
		if i, depth, ok = scanStep(src, i, depth); !ok {
			return nil
		}
		if c == '}' || c == ']' || c == ')' {
			closed = depth == 0
		}
	}
	if depth != 0 {
		return nil
	}
	return items
}

// blockHeader reads TYPE "label"... { at i for a type of pieceLabels with its number of
// labels, each a quoted string without escapes or template sequences, and returns the type
// and the offset after the brace; "" when the header is anything else.
func blockHeader(src []byte, i int) (string, int) {
	start := i
	for i < len(src) && (isLetter(src[i]) || src[i] >= '0' && src[i] <= '9' || src[i] == '-') {
		i++
	}
	typ := string(src[start:i])
	labels, ok := pieceLabels[typ]
	if !ok {
		return "", 0
	}
	for n := 0; n < labels; n++ {
		i = skipBlanks(src, i)
		if byteAt(src, i) != '"' {
			return "", 0
		}
		end := bytes.IndexByte(src[i+1:], '"')
		if end < 0 || bytes.ContainsAny(src[i+1:i+1+end], "\\$%\n\r") {
			return "", 0
		}
		i += 1 + end + 1
	}
	i = skipBlanks(src, i)
	if byteAt(src, i) != '{' {
		return "", 0
	}
	return typ, i + 1
}

func skipBlanks(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// segment is a range of a file parsed at once: now (typ "") or later as a piece of typ.
type segment struct {
	from, to int
	typ      string
	n        int // blocks, for a piece
}

// segments groups items into what is parsed now, cut about every chunkSize bytes, and runs
// of at least minPiece bytes of blocks of one type kept as pieces of about pieceSize.
func segments(items []item, size int) []segment {
	var out []segment
	add := func(from, to int, typ string) {
		limit := chunkSize
		if typ != "" {
			limit = pieceSize
		}
		if n := len(out); n > 0 && out[n-1].typ == typ && out[n-1].to-out[n-1].from < limit {
			out[n-1].to = to
			out[n-1].n++
			return
		}
		out = append(out, segment{from: from, to: to, typ: typ, n: 1})
	}
	for i := 0; i < len(items); {
		j := i + 1 // items[i:j] is a run of one type (or of items that are not pieces)
		for j < len(items) && items[j].typ == items[i].typ {
			j++
		}
		end := size
		if j < len(items) {
			end = items[j].start
		}
		typ := items[i].typ
		if end-items[i].start < minPiece {
			typ = ""
		}
		for k := i; k < j; k++ {
			to := end
			if k+1 < j {
				to = items[k+1].start
			}
			add(items[k].start, to, typ)
		}
		i = j
	}
	return out
}

// parseDeferring parses the segments of src that are not pieces, joined as parseInPieces
// does, and returns the pieces; nil when the file cannot be cut with certainty or a segment
// does not parse: the caller then parses it whole.
func parseDeferring(src []byte, name string) (*hcl.File, []*piece, hcl.Diagnostics) {
	items := scanItems(src)
	if len(items) < 2 {
		return nil, nil, nil
	}
	segs := segments(items, len(src))
	if segs[0].from != 0 {
		segs[0].from = 0 // comments and blank lines before the first item
	}
	var blocks hclsyntax.Blocks
	var pieces []*piece
	var diags hcl.Diagnostics
	pos := hcl.InitialPos
	for _, s := range segs {
		if s.typ != "" {
			pieces = append(pieces, &piece{file: name, src: src[s.from:s.to], pos: pos, typ: s.typ, n: s.n})
			pos = advance(pos, src[s.from:s.to])
			continue
		}
		f, d := hclsyntax.ParseConfig(src[s.from:s.to], name, pos)
		if d.HasErrors() {
			return nil, nil, nil
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok || len(body.Attributes) > 0 {
			return nil, nil, nil
		}
		diags = append(diags, d...)
		blocks = append(blocks, body.Blocks...)
		pos = advance(pos, src[s.from:s.to])
	}
	whole := hcl.Range{Filename: name, Start: hcl.InitialPos, End: pos}
	return &hcl.File{Bytes: src, Body: &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: blocks,
		SrcRange: whole, EndRange: hcl.Range{Filename: name, Start: pos, End: pos}}}, pieces, diags
}

// blocks parses the piece and returns its blocks as the root schema would decode them, or
// nil when it does not hold exactly the n blocks of its type the scan saw, without any
// diagnostic.
func (p *piece) blocks() []*hcl.Block {
	f, d := hclsyntax.ParseConfig(p.src, p.file, p.pos)
	if len(d) > 0 {
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok || len(body.Attributes) > 0 || len(body.Blocks) != p.n {
		return nil
	}
	out := make([]*hcl.Block, len(body.Blocks))
	for i, b := range body.Blocks {
		if b.Type != p.typ || len(b.Labels) != pieceLabels[p.typ] {
			return nil
		}
		out[i] = b.AsHCLBlock()
	}
	return out
}
