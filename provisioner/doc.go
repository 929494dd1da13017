// Package provisioner is berth's engine: connect to the selected hosts, observe each one in a
// single batch of probes, diff against the inventory without I/O, and return a Plan (data).
// Apply executes exactly the changes a plan holds, host by host with hosts in parallel, and
// makes no decisions of its own; drift is a plan that is only reported.
//
// Sub-packages: conn (SSH transport), facts (host facts), schedule (placement), hostlock.
package provisioner
