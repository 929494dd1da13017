package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/berth-dev/berth/inventory"
	"github.com/hashicorp/hcl/v2"
)

// Diagnostic output formats.
const (
	formatText    = "text"    // hcl's diagnostic writer: summary, file:line, source snippet, detail
	formatCompact = "compact" // one line per diagnostic, file:line:col: severity: summary: detail
	formatJSON    = "json"    // a JSON array of jsonDiag
)

// printDiags prints diagnostics to stderr in the given format. files is the inventory's file
// map (inv.Files), kept alive so that every diagnostic shows its source line.
func printDiags(e *env, files map[string]*hcl.File, diags hcl.Diagnostics, format string) {
	writeDiags(e.stderr, files, diags, format)
}

func writeDiags(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, format string) {
	if len(diags) > 0 && format != formatCompact {
		files = inventory.WithSyntax(files)
	}
	switch format {
	case formatCompact:
		for _, d := range diags {
			fmt.Fprintln(w, compactDiag(d))
		}
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(jsonDiags(files, diags))
	default:
		if len(diags) == 0 {
			return
		}
		wr := hcl.NewDiagnosticTextWriter(w, files, 100, false)
		_ = wr.WriteDiagnostics(diags)
	}
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// compactDiag is the editor format: "file:line:col: error: summary: detail", on one line.
func compactDiag(d *hcl.Diagnostic) string {
	where := "berth"
	if d.Subject != nil {
		where = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + oneLine(d.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", where, severity(d), msg)
}

func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		if len(out) > 0 && r == ' ' && out[len(out)-1] == ' ' {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

// jsonDiag is one diagnostic of --json output (documented in docs/inventory.md).
type jsonDiag struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
	// Snippet is the source line(s) of the range, when the file is known.
	Snippet string `json:"snippet,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func jsonDiags(files map[string]*hcl.File, diags hcl.Diagnostics) []jsonDiag {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		jd := jsonDiag{Severity: severity(d), Summary: d.Summary, Detail: d.Detail}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{Filename: r.Filename,
				Start: jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:   jsonPos{r.End.Line, r.End.Column, r.End.Byte}}
			jd.Snippet = snippet(files[r.Filename], *r)
		}
		out = append(out, jd)
	}
	return out
}

// snippet returns the whole source lines a range covers.
func snippet(f *hcl.File, r hcl.Range) string {
	if f == nil || r.Start.Byte > len(f.Bytes) || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte {
		return ""
	}
	b := f.Bytes
	start, end := r.Start.Byte, r.End.Byte
	for start > 0 && b[start-1] != '\n' {
		start--
	}
	for end < len(b) && b[end] != '\n' {
		end++
	}
	return string(b[start:end])
}

// count counts error (errors=true) or warning diagnostics.
func count(diags hcl.Diagnostics, errors bool) int {
	n := 0
	for _, d := range diags {
		if (d.Severity == hcl.DiagError) == errors {
			n++
		}
	}
	return n
}
