package secret

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
)

// MinLen is the shortest value masked wherever it appears in output. Shorter values ("1",
// "true", "info", a port such as "5432") occur in ordinary output all the time: masking them
// everywhere would make command output unreadable. They are masked where they can be told
// apart: after their own name in an env file entry (NAME=VALUE, as `cat .env`, `env` or
// `docker inspect` print it), and a sensitive variable's value as a whole line.
const MinLen = 6

// Masker replaces sensitive values in text that berth prints or journals: command output,
// error messages. It works line by line, so a value split over two lines is not found; a
// Writer assembles lines from chunks first. The zero value and nil mask nothing.
type Masker struct {
	long  []string            // values of MinLen bytes or more, longest first
	whole map[string]bool     // sensitive variables' values, masked when they are a whole line
	named map[string][]string // env file name -> its values, masked after "NAME="
	seen  map[string]bool
}

// Add registers a sensitive variable's value: masked everywhere from MinLen bytes, and as a
// whole line whatever its length (a secret file printed by cat). A multi-line value counts
// line by line.
func (m *Masker) Add(v string) {
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m.addLong(l)
			if m.whole == nil {
				m.whole = map[string]bool{}
			}
			m.whole[l] = true
		}
	}
}

// AddNamed registers an env file entry: its value is masked everywhere from MinLen bytes,
// and after "NAME=" whatever its length. A short value is not masked as a whole line: env
// files hold settings such as DEBUG=true beside secrets.
func (m *Masker) AddNamed(name, v string) {
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m.addLong(l)
		}
	}
	if strings.TrimSpace(v) == "" {
		return
	}
	if m.named == nil {
		m.named = map[string][]string{}
	}
	m.named[name] = append(m.named[name], v)
}

func (m *Masker) addLong(v string) {
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	if m.seen[v] {
		return
	}
	m.seen[v] = true
	if len(v) < MinLen {
		return
	}
	m.long = append(m.long, v)
	if q := jsonEscaped(v); q != v {
		m.long = append(m.long, q) // as docker inspect and --json output show it
	}
	sort.SliceStable(m.long, func(i, j int) bool { return len(m.long[i]) > len(m.long[j]) })
}

// Empty reports whether there is nothing to mask.
func (m *Masker) Empty() bool { return m == nil || len(m.seen) == 0 }

func jsonEscaped(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}

// Text masks every line of s.
func (m *Masker) Text(s string) string {
	if m.Empty() {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = m.Line(l)
	}
	return strings.Join(lines, "\n")
}

// Line masks one line: a line that is a sensitive variable's value, an env value after its
// own name, and every value of MinLen bytes or more.
func (m *Masker) Line(s string) string {
	if m.Empty() {
		return s
	}
	if t := strings.TrimSpace(s); m.whole[t] {
		return strings.Replace(s, t, Redacted, 1)
	}
	for name, vals := range m.named {
		for _, v := range vals {
			s = maskNamed(s, name, v)
		}
	}
	for _, v := range m.long {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// maskNamed replaces v where it follows "name=" (optionally quoted) and ends a word.
func maskNamed(s, name, v string) string {
	key := name + "="
	var b strings.Builder
	for {
		i := strings.Index(s, key)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(key)
		rest := s[j:]
		q := ""
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			q, rest = rest[:1], rest[1:]
		}
		startsWord := i == 0 || !isNameByte(s[i-1])
		if startsWord && strings.HasPrefix(rest, v) && endsWord(rest[len(v):]) {
			b.WriteString(s[:j] + q + Redacted)
			s = rest[len(v):]
			continue
		}
		b.WriteString(s[:j])
		s = s[j:]
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// endsWord: what follows a value is the end, a quote, a separator or a space, not more of a
// longer value.
func endsWord(rest string) bool {
	return rest == "" || strings.IndexByte(" \t\"',;}]\\", rest[0]) >= 0
}

// Writer returns a writer that masks whole lines before writing them to w. A last line
// without a newline is written by Flush. Safe for concurrent use.
func (m *Masker) Writer(w io.Writer) *LineWriter { return &LineWriter{m: m, w: w} }

// LineWriter is a Masker's writer; see Masker.Writer.
type LineWriter struct {
	mu  sync.Mutex
	m   *Masker
	w   io.Writer
	buf bytes.Buffer
}

func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.buf.Next(i + 1))
		if _, err := io.WriteString(l.w, l.m.Line(line[:i])+"\n"); err != nil {
			return len(p), err
		}
	}
}

// Flush writes what is left after the last newline, masked.
func (l *LineWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() == 0 {
		return nil
	}
	s := l.buf.String()
	l.buf.Reset()
	_, err := io.WriteString(l.w, l.m.Line(s))
	return err
}

// Error returns err with its message masked; errors.Is and errors.As still see err.
func (m *Masker) Error(err error) error {
	if err == nil || m.Empty() {
		return err
	}
	msg := m.Text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &maskedError{err: err, msg: msg}
}

type maskedError struct {
	err error
	msg string
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
