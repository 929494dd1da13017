// Package source lists hosts from systems outside the inventory (vSphere) for the commands
// that connect, and keeps a snapshot of each listing so that a later run may reuse it within
// a maximum age. The inventory package decodes source blocks but never lists them: it does no
// network I/O, so `berth validate` stays offline. Each kind of source is a subpackage.
package source
