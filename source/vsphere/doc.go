// Package vsphere lists the virtual machines of a vCenter (or ESXi host) through the vSphere
// API (govmomi) and turns them into inventory hosts: name, address (guest IP on a network, or
// a naming rule), labels from tags and custom attributes, capacity from CPUs and memory.
//
// A listing is read-only and costs a fixed number of round trips whatever the number of
// VMs: one property retrieval for the VMs of each folder or pool, one for the folders (for
// paths), one for tag associations. Powered-off VMs and templates are skipped with a reason,
// never silently; any error fails the listing as a whole.
package vsphere
