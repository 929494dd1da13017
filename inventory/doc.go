// Package inventory turns a directory of HCL files into a validated model of hosts, host-layer
// resources, stacks, balancers and runbooks. It performs no network I/O: everything it reads
// is below the inventory directory (plus variable files named on the command line), and every
// error it reports is an hcl.Diagnostic with a source range, so it can be printed with a snippet.
package inventory
