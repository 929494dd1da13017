// Package registry logs a host in to a private image registry, so that compose can pull
// from it as the user it runs as.
//
// Guarantees: the password reaches the host only on the stdin of `docker login
// --password-stdin`, never on a command line; the Docker client configuration it lands in
// is left mode 0600; plans and errors never show the password nor its hash, only whether
// the host's credentials are missing or differ (compared by SHA-256 in memory). The
// credentials are verified by the registry during the login, so a wrong password fails the
// host's apply there, in the host layer, before any of its stacks change.
package registry
