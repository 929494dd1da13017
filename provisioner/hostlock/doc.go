// Package hostlock is the per-host lock taken by anything that changes a host (apply,
// runbooks). The lock is a directory created with mkdir, which is atomic on every POSIX file
// system: exactly one berth process wins. Inside it, holder.json says who holds it (user,
// machine, pid, command, since, token) and token holds the token alone.
//
// Guarantees: Acquire either takes the lock or returns a *BusyError naming the holder;
// Release and Unlock remove the lock only when given its token; read-only commands use
// Status or Busy, which never take or change it. Scripts run through modules.Host (as root
// with become); the token travels on stdin.
package hostlock
