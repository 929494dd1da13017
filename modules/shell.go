package modules

import "strings"

// Quote returns s as one POSIX shell word. Every value that reaches a remote shell goes
// through it, so no host name, path or package name can be read as shell syntax: a word of
// only safe characters is kept as is, anything else is single-quoted (an embedded quote
// becomes quote, backslash, quote, quote) and the empty string becomes a pair of quotes.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if isSafeWord(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteArgv quotes every element of argv and joins them with spaces, so that a shell runs
// exactly argv: no globbing, no expansion, no word splitting.
func QuoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

func isSafeWord(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_./:,+=@%", r):
		default:
			return false
		}
	}
	return true
}
