// Package balancer renders the HAProxy configuration of a berth balancer from the
// placements of the stacks it fronts: one backend per stack port, one server line per
// replica, health-checked; and installs it on a host (ConfigResource).
//
// Render guarantees: the output depends only on its input (sorted frontends, backends and
// servers; no time, no host name), so an unchanged placement renders byte-identical
// configuration and the balancer is not reloaded for nothing; and every value that reaches
// the file is validated against a strict character set, so a name, address or health-check
// path can never add a line, a comment or an option to the configuration.
//
// The configuration keeps a stats socket with admin level so that weights can be changed at
// run time (draining a replica before it stops), and exposes its listeners so that a reload
// hands them to the new process without dropping connections.
//
// ConfigResource guarantees: its plan names the servers a change adds, moves and removes,
// backend by backend; a new file is checked with `haproxy -c` beside the live one before it
// replaces it atomically, so a rejected file leaves the live one and the running HAProxy
// untouched and the error carries HAProxy's message; a running HAProxy is reloaded, never
// restarted (a stopped one is started). It applies in the balance phase
// (modules.PhaseBalance): after moved replicas run healthy, before the old ones stop.
//
// TLS: a frontend with a Certificate binds with "ssl crt" on a bundle CertResource installs
// (CertPath, 0600 root). CertResource observes the file by hash only and plans sensitive
// changes that show the bundle's fingerprint and expiry, never its content; a certificate
// that changes under an unchanged configuration makes ConfigResource check and reload.
package balancer
