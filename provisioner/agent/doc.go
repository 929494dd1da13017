// Package agent is the berth agent: the same berth binary, copied to a host and started as
// `berth agent` over one SSH session, serving a small protocol on stdin/stdout
// (docs/agent.md). It lets one request observe a whole host and one request apply a file,
// with no new SSH session, no shell script to generate and no parsing of shell output.
//
// Guarantees:
//   - The protocol is newline-delimited JSON, one Request or Response per line; every
//     request carries an id and gets exactly one final Response with that id (Run may
//     send Output events before it). The first request must be hello with the client's
//     Version; anything else, or another version, is refused and the agent exits.
//   - Observe has the semantics of provisioner/conn's observe script: paths are stat'ed
//     following symlinks, regular files hashed with SHA-256, content capped at
//     MaxContent (a bigger file is an error, never a truncated answer), commands run with
//     stdin from /dev/null and exit 127 marks a missing command. Results keep probe order.
//   - Write is atomic and private like conn's write script: a temp file created 0600 in
//     the destination directory, content verified against the request's SHA-256, fsync,
//     chown, chmod, rename, fsync of the directory; stale temp files of the same
//     destination are removed first; a failure leaves the old file untouched.
//   - Every command runs in its own process group; cancel (or the end of stdin, when the
//     connection drops) kills that group, TERM then KILL, before the final answer.
//   - Secrets (file content, stdin) only ever travel inside the protocol stream.
//   - Every final Response carries the agent's peak RSS and CPU time, for --stats.
package agent
