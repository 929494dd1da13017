// Package conn is berth's transport: everything berth does to a host goes through it.
//
// Guarantees:
//   - One SSH connection per host (x/crypto/ssh); every command is a session multiplexed on
//     it; an SFTP client is opened lazily on the same connection when asked for.
//   - Host keys are checked strictly against known_hosts (hashed entries, [host]:port,
//     @cert-authority, @revoked), before any credential is sent, for the host and for every
//     ProxyJump hop. An unknown key is an *UnknownHostKeyError naming the SHA256 fingerprint
//     and the `berth hosts trust HOST` command; a changed key is a *ChangedHostKeyError.
//   - Deadlines on dial and on the handshake; keepalives on the connection; every command
//     ends with its context, and a cancelled command's process group is killed on the host. Connection setup is retried with backoff, but never once the
//     server's key was accepted (so an authentication failure is never retried).
//   - Commands are argv, every element shell-quoted; become is `sudo -n --`, and a sudo that
//     wants a password is a *SudoPasswordError. Secrets (file content, scripts that read
//     secrets) travel on stdin, never on a command line.
//   - WriteFile is atomic and private (see writefile.go); Observe is one round trip.
//
// Local implements the same modules.Host on this machine, for tests and --local.
package conn
