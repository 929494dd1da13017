// Package testbed gives berth's integration tests (and people) real Debian hosts on one machine:
// systemd-in-Docker containers of Debian 12 (bookworm) or 13 (trixie), each with its own IP
// address on a private Docker network, sshd, a test user with an authorized key and passwordless
// sudo, and optionally a TLS registry the hosts trust.
//
// What it guarantees:
//   - Hosts are reached only with strict host key checking: every Host carries the known_hosts
//     line of the keys it really generated at first boot (read with docker exec, not over SSH).
//   - Beds are isolated: each has a unique name prefix, its own network with a free
//     10.77.X.0/24 subnet (never 172.17/16, the inner daemons' default), and every container,
//     network and volume is labelled berth.testbed=<prefix>. Two test processes can run beds at
//     once; Start first reaps what dead processes left behind.
//   - Bed.Close removes everything the bed started. Beds started with Options.Keep (the testbed
//     command) are never reaped; Remove takes them down by prefix.
//   - Images are built lazily from a cached debootstrap rootfs, at most one builder per release
//     at a time (flock), and rebuilt only when RecipeVersion changes (the images carry it as a
//     label).
//
// Hosts need a Docker engine on this machine; EnsureEngine starts one (installing docker.io
// with apt when missing) and leaves an engine that already answers alone. It also installs the
// machine tools the images need (debootstrap, busybox-static).
package testbed
