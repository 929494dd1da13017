// Package bench builds the loopback fleet of the fleet-scale benchmark (issue 9): N hosts at
// 127.0.0.2 and up, served by private sshd daemons of the benchmark's own, each host's files
// under its own directory, and the same work written for berth (an inventory) and for Ansible
// (inventory, ansible.cfg and playbooks). It also holds the statistics and the table.
//
// Guarantees: everything listens on and connects to 127.0.0.0/8 only; the machine's own sshd
// and port 22 are never touched; generated files are deterministic for a given N and K, and
// the berth and Ansible descriptions ask for byte-identical files (same content, mode, owner).
// The commands that drive it are cmd/benchrun (the benchmark) and cmd/benchref (the minimal Go
// reference program); `integration/bench/run` is the one command to rerun it.
package bench
