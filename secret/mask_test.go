package secret

import (
	"bytes"
	"strings"
	"testing"
)

func testMasker() *Masker {
	m := &Masker{}
	m.AddNamed("API_TOKEN", "tok-8f3k2-secret")
	m.AddNamed("DB_PASS", "abc")
	m.AddNamed("DEBUG", "true")
	m.AddNamed("PORT", "5432")
	m.Add("pw-Qm27\"x")
	m.Add("s3")
	return m
}

// What command output looks like after masking: long values go wherever they are, short env
// values only after their own name, short sensitive variables only as a whole line; the rest
// of the output stays readable.
func TestMaskerLines(t *testing.T) {
	m := testMasker()
	for _, tc := range []struct{ in, want string }{
		{"API_TOKEN=tok-8f3k2-secret", "API_TOKEN=(sensitive)"},
		{"the token is tok-8f3k2-secret, see", "the token is (sensitive), see"},
		{"DB_PASS=abc", "DB_PASS=(sensitive)"},
		{`DB_PASS="abc"`, `DB_PASS="(sensitive)"`},
		{`["DB_PASS=abc","DEBUG=true","PORT=5432"]`, `["DB_PASS=(sensitive)","DEBUG=(sensitive)","PORT=(sensitive)"]`},
		{"DB_PASS=abcdef", "DB_PASS=abcdef"}, // another value: abc is a prefix only
		{"XDB_PASS=abc", "XDB_PASS=abc"},     // another name
		{"abc def true", "abc def true"},     // short env values elsewhere are ordinary words
		{"0.0.0.0:5432->5432/tcp", "0.0.0.0:5432->5432/tcp"},
		{"  s3", "  (sensitive)"}, // a short sensitive variable printed alone
		{"s3 bucket", "s3 bucket"},
		{`"pw-Qm27\"x"`, `"(sensitive)"`}, // JSON-escaped, as docker inspect prints it
		{"pw-Qm27\"x", "(sensitive)"},
	} {
		if got := m.Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var nilM *Masker
	if nilM.Line("abc") != "abc" || (&Masker{}).Text("x\ny") != "x\ny" {
		t.Error("an empty masker changes text")
	}
}

// A value split over writes is masked once the line is whole; the last line is written by Flush.
func TestMaskerWriterAssemblesLines(t *testing.T) {
	var out bytes.Buffer
	w := testMasker().Writer(&out)
	for _, chunk := range []string{"a | API_TOKEN=tok-8f", "3k2-secret\nb | tok-8f3k2", "-secret and more\nlast tok-8f3k2-secret"} {
		w.Write([]byte(chunk))
	}
	if strings.Contains(out.String(), "last") {
		t.Errorf("a line without its newline was written before Flush: %q", out.String())
	}
	w.Flush()
	want := "a | API_TOKEN=(sensitive)\nb | (sensitive) and more\nlast (sensitive)"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
