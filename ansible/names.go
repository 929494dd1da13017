package ansible

import (
	"regexp"
	"strings"
)

// These mirror the inventory package's rules (docs/inventory.md, "Values"); the tests load
// every rendered inventory with inventory.Load, so a drift between the two fails there.
var (
	nameRule     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	labelKeyRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$`)
	addressRule  = regexp.MustCompile(`^[A-Za-z0-9_\[][A-Za-z0-9_.:%\[\]-]*$`)
	sshUserRule  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)
	identRule    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`) // HCL identifier: a key that needs no quotes
)

// berthName turns an Ansible host, group or variable name into a berth name: lowercase, any
// character outside a-z 0-9 _ . - becomes '-', at most 63 characters. Ansible allows
// "Web01.example.com" and "eu west"; berth names must also be selector terms.
func berthName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	n := strings.TrimLeft(b.String(), "_.-")
	if len(n) > 63 {
		n = n[:63]
	}
	if n == "" {
		n = "unnamed"
	}
	return n
}

// secretName matches variable names that usually hold secrets. It errs on the side of
// secrecy: a false positive only costs a variable block to fill in by hand.
var secretName = regexp.MustCompile(`(?i)password|passwd|passphrase|secret|token|key|credential|_pass$|^pass$`)

// notSecret are names secretName matches that hold no secret: paths and switches.
var notSecret = map[string]bool{
	"ansible_ssh_private_key_file":  true,
	"ansible_private_key_file":      true,
	"ansible_host_key_checking":     true,
	"ansible_ssh_host_key_checking": true,
}

// isSecret reports whether a variable must not be written in clear, and why.
func isSecret(name string, v any) (bool, string) {
	if isVault(v) {
		return true, "vault-encrypted"
	}
	if notSecret[name] || strings.HasSuffix(name, "_file") || strings.HasSuffix(name, "_path") {
		return false, ""
	}
	if secretName.MatchString(name) {
		return true, "its name looks secret"
	}
	return false, ""
}

// isVault reports a vault-encrypted value: ansible-inventory prints an inline !vault value
// as {"__ansible_vault": "$ANSIBLE_VAULT;..."}; a plain string may also carry the envelope.
func isVault(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		_, ok := v["__ansible_vault"]
		return ok
	case string:
		return strings.HasPrefix(strings.TrimSpace(v), "$ANSIBLE_VAULT")
	}
	return false
}

// quote renders s as an HCL string literal: escapes, and ${ and %{ doubled so that Ansible
// values are never read as HCL templates.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteRune(r)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// key renders an object key: bare when it is an identifier, quoted otherwise.
func key(k string) string {
	if identRule.MatchString(k) {
		return k
	}
	return quote(k)
}

// comment makes text safe for a # comment: one line, no control characters.
func comment(text string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
}
