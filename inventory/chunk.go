package inventory

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL's parser lexes a whole file before it parses any of it, and holds every token at once:
// about 60 bytes of tokens per byte of source, so 76 MB for the 1.3 MB file of a 1000-host
// inventory with 10 file blocks each, and 760 MB with 100. That transient peak was most of
// berth's peak memory on big fleets (docs/performance.md). A big file is therefore parsed in
// pieces of whole top-level blocks, and the pieces' bodies joined: the same blocks, with the
// same ranges, a fraction of the tokens alive at once.

// bigFile is the size from which a file is parsed in pieces; chunkSize about how big a piece
// is. Variables for tests.
var bigFile, chunkSize = 1 << 20, 128 << 10

// parseInPieces parses src as consecutive pieces cut before top-level blocks and returns the
// joined file, or nil when the file cannot be cut with certainty, a piece does not parse, or
// the file has top-level attributes: the caller then parses it whole, as before, so that
// every diagnostic is exactly what a whole parse says.
func parseInPieces(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	cuts := cutPoints(src, chunkSize)
	if len(cuts) < 2 {
		return nil, nil
	}
	var blocks hclsyntax.Blocks
	var diags hcl.Diagnostics
	pos := hcl.InitialPos
	for i, from := range cuts {
		to := len(src)
		if i+1 < len(cuts) {
			to = cuts[i+1]
		}
		f, d := hclsyntax.ParseConfig(src[from:to], name, pos)
		if d.HasErrors() {
			return nil, nil
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok || len(body.Attributes) > 0 {
			return nil, nil
		}
		diags = append(diags, d...)
		blocks = append(blocks, body.Blocks...)
		pos = advance(pos, src[from:to])
	}
	whole := hcl.Range{Filename: name, Start: hcl.InitialPos, End: pos}
	return &hcl.File{Bytes: src, Body: &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, Blocks: blocks,
		SrcRange: whole, EndRange: hcl.Range{Filename: name, Start: pos, End: pos}}}, diags
}

// advance returns the position after b, starting at p.
func advance(p hcl.Pos, b []byte) hcl.Pos {
	p.Byte += len(b)
	if n := bytes.Count(b, []byte{'\n'}); n > 0 {
		p.Line += n
		p.Column = len(b) - bytes.LastIndexByte(b, '\n')
	} else {
		p.Column += len(b)
	}
	return p
}

// cutPoints returns offsets where src can be cut, the first 0, each next one at least every
// bytes after the last: starts of lines that begin with a letter outside any bracket, quoted
// string, interpolation, heredoc or comment. It returns nil when src has anything it does not
// follow with certainty (an unterminated string or comment, an unbalanced bracket, a heredoc
// it cannot read).
func cutPoints(src []byte, every int) []int {
	cuts := []int{0}
	depth := 0
	for i := 0; i < len(src); {
		if depth == 0 && i-cuts[len(cuts)-1] >= every && (i == 0 || src[i-1] == '\n') && isLetter(src[i]) {
			cuts = append(cuts, i)
		}
		var ok bool
		if i, depth, ok = scanStep(src, i, depth); !ok {
			return nil
		}
	}
	if depth != 0 {
		return nil
	}
	return cuts
}

// scanStep moves past one element of src at i: a comment, a string, a heredoc, a bracket
// (depth follows it) or one byte. ok is false when it cannot follow src with certainty (an
// unterminated comment, string or heredoc, a closing bracket without its opening one).
// cutPoints and scanItems both scan with it.
func scanStep(src []byte, i, depth int) (next, newDepth int, ok bool) {
	switch c := src[i]; {
	case c == '#' || c == '/' && byteAt(src, i+1) == '/':
		return lineEnd(src, i), depth, true
	case c == '/' && byteAt(src, i+1) == '*':
		end := bytes.Index(src[i+2:], []byte("*/"))
		if end < 0 {
			return i, depth, false
		}
		return i + 2 + end + 2, depth, true
	case c == '"':
		next, ok = skipString(src, i+1)
		return next, depth, ok
	case c == '<' && byteAt(src, i+1) == '<':
		next, ok = skipHeredoc(src, i+2)
		return next, depth, ok
	case c == '{' || c == '[' || c == '(':
		return i + 1, depth + 1, true
	case c == '}' || c == ']' || c == ')':
		return i + 1, depth - 1, depth > 0
	}
	return i + 1, depth, true
}

func byteAt(src []byte, i int) byte {
	if i < len(src) {
		return src[i]
	}
	return 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func lineEnd(src []byte, i int) int {
	if n := bytes.IndexByte(src[i:], '\n'); n >= 0 {
		return i + n
	}
	return len(src)
}

// skipString returns the offset after the quoted string whose body starts at i. A quoted
// string ends on its line; its interpolations may hold strings of their own.
func skipString(src []byte, i int) (int, bool) {
	for i < len(src) {
		switch c := src[i]; {
		case c == '\\':
			i += 2
		case c == '"':
			return i + 1, true
		case c == '\n':
			return 0, false
		case (c == '$' || c == '%') && byteAt(src, i+1) == c && byteAt(src, i+2) == '{':
			i += 3 // $${ and %%{ are literal
		case (c == '$' || c == '%') && byteAt(src, i+1) == '{':
			var ok bool
			if i, ok = skipTemplate(src, i+2); !ok {
				return 0, false
			}
		default:
			i++
		}
	}
	return 0, false
}

// skipTemplate returns the offset after the } that closes the interpolation starting at i.
func skipTemplate(src []byte, i int) (int, bool) {
	depth := 1
	for i < len(src) {
		switch c := src[i]; {
		case c == '"':
			var ok bool
			if i, ok = skipString(src, i+1); !ok {
				return 0, false
			}
			continue
		case c == '<' && byteAt(src, i+1) == '<', c == '#', c == '/' && (byteAt(src, i+1) == '/' || byteAt(src, i+1) == '*'):
			return 0, false // heredocs and comments inside an interpolation: not followed
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

// skipHeredoc returns the offset after the closing marker line of the heredoc whose
// introducer (after <<) starts at i: an optional -, an identifier, the end of the line.
func skipHeredoc(src []byte, i int) (int, bool) {
	if byteAt(src, i) == '-' {
		i++
	}
	start := i
	for i < len(src) && (isLetter(src[i]) || src[i] >= '0' && src[i] <= '9' || src[i] == '-') {
		i++
	}
	marker := src[start:i]
	if len(marker) == 0 || !isLetter(marker[0]) {
		return 0, false
	}
	if byteAt(src, i) == '\r' {
		i++
	}
	if byteAt(src, i) != '\n' {
		return 0, false
	}
	for i++; i < len(src); {
		end := lineEnd(src, i)
		if bytes.Equal(bytes.TrimSpace(src[i:end]), marker) {
			return end, true
		}
		i = end + 1
	}
	return 0, false
}
