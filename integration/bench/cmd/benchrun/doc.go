// Command benchrun is the fleet-scale benchmark of issue 9: berth against Ansible (best
// honest configuration, and with facts on) and against the minimal Go reference program
// (cmd/benchref), on a loopback fleet of N hosts served by private sshd daemons.
//
// Scenarios, for every N and K: a no-change check of K files per host (berth drift,
// ansible-playbook --check, benchref -mode check), a first apply of K files (files removed
// untimed first; berth apply --yes, ansible-playbook, benchref -mode upload) and, for the
// smallest K, an ad-hoc `true` (berth exec, ansible -m raw, ansible -m command, benchref -mode
// true). Tools run interleaved, run by run; each cell prints median, min, max wall time, peak
// RSS and ratios of medians from the same run. Before timing, it checks once per K that berth
// and Ansible describe the same files: each one's result is converged for the other.
//
// It is bounded: every address is in 127.0.0.0/8, every run has a timeout, a tool predicted
// (linearly in N from the previous N) to exceed the timeout is skipped and the table says so,
// and the sshd daemons die with it.
package main
