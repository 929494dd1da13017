// Package modules holds berth's resources: docker, syslog, stack, file, directory, package,
// service. Each resource declares what it must observe as data (Probes), turns what was
// observed into changes without any I/O (Diff), and applies exactly one change (Apply).
//
// The interface a resource needs from a host (Host) is declared here, where it is used; the
// transport in provisioner/conn implements it. modules never imports provisioner.
package modules
