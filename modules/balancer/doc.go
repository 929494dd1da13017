// Package balancer renders the HAProxy configuration of a berth balancer from the
// placements of the stacks it fronts: one backend per stack port, one server line per
// replica, health-checked.
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
package balancer
