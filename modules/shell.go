package modules

import "strings"

// Quote returns s as one POSIX shell word: unchanged when it holds only characters no shell
// interprets, otherwise in single quotes with each embedded quote written as '\''.
// The empty string becomes ''.
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
