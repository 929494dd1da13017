package conn

import (
	"fmt"
	"strings"
)

// UnknownHostKeyError: the host presented a key that no known_hosts file lists for it.
// Nothing was sent to the host beyond the key exchange.
type UnknownHostKeyError struct {
	Host        string // inventory name
	Addr        string // host:port checked
	Fingerprint string // SHA256:...
	KeyType     string
	KnownHosts  []string
	Detail      string // why a host certificate was not accepted, if it was one
}

func (e *UnknownHostKeyError) Error() string {
	msg := fmt.Sprintf("host %s (%s): unknown host key %s %s (not in %s)",
		e.Host, e.Addr, e.KeyType, e.Fingerprint, strings.Join(e.KnownHosts, ", "))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Hint is the command that pins the key after the user checked the fingerprint.
func (e *UnknownHostKeyError) Hint() string {
	return fmt.Sprintf("check the fingerprint out of band, then run: berth hosts trust %s --fingerprint %s", e.Host, e.Fingerprint)
}

// ChangedHostKeyError: the host presented a key other than the one on file. This may be a
// man-in-the-middle attack; berth refuses and sends no credential.
type ChangedHostKeyError struct {
	Host        string
	Addr        string
	Fingerprint string   // what the host presented
	Known       []string // "file:line" of the entries it contradicts
	Revoked     bool     // the presented key is marked @revoked
}

func (e *ChangedHostKeyError) Error() string {
	if e.Revoked {
		return fmt.Sprintf("host %s (%s): REVOKED HOST KEY %s (%s); refusing to connect",
			e.Host, e.Addr, e.Fingerprint, strings.Join(e.Known, ", "))
	}
	return fmt.Sprintf("host %s (%s): HOST KEY CHANGED, possible man-in-the-middle attack: presented %s, on file %s; refusing to connect, no credential was sent",
		e.Host, e.Addr, e.Fingerprint, strings.Join(e.Known, ", "))
}

// Hint says how to recover once the change is known to be legitimate.
func (e *ChangedHostKeyError) Hint() string {
	return fmt.Sprintf("if the host was reinstalled, confirm the new fingerprint out of band, remove the old entry (%s), then run: berth hosts trust %s", strings.Join(e.Known, ", "), e.Host)
}

// AuthError: the host's key was accepted but no credential was. Never retried.
type AuthError struct {
	Host, User string
	Err        error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("host %s: authentication as %s failed: %v", e.Host, e.User, e.Err)
}
func (e *AuthError) Unwrap() error { return e.Err }

// SudoPasswordError: become was asked for but sudo on the host wants a password.
type SudoPasswordError struct{ Host string }

func (e *SudoPasswordError) Error() string {
	return fmt.Sprintf("sudo on %s needs a password; berth uses sudo -n (configure NOPASSWD for the SSH user, or connect as root)", e.Host)
}
