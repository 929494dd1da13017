// Package facts gathers what berth needs to know about a host before planning: OS release,
// architecture, init system, CPUs and memory, free space and inodes per mount, Docker and
// its compose variant, listening TCP ports.
//
// Guarantees: Gather costs exactly one round trip (one modules.Host.Observe batch of
// read-only probes, coreutils and procfs only, with optional docker and ss); it never
// changes the host; every parser is a pure function of probe output; lists are sorted.
package facts
