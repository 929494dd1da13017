// Package stack is the compose stack resource: it ships a compose project to a host, runs it
// with the host's compose (v1 `docker-compose` or v2 `docker compose`), waits until it is
// healthy, and rolls back to the previous version when it is not.
//
// What it guarantees:
//   - The user's compose file is shipped unchanged; berth's host ports go into a generated
//     override (berth.override.yml) and the project name is pinned with -p on every call.
//   - Files are written atomically; .env is written 0600 and travels only as file content:
//     never on a command line, never in a Change, an error or a log excerpt.
//   - Data is never lost: no `down -v`, no volume prune; a removed stack keeps its volumes and
//     the data directories beside its files.
//   - A failed deploy restores the previous files and brings the previous version back.
//   - Probes never change the host. A manifest on the host (/var/lib/berth/stacks/NAME,
//     root-only) records what was deployed so that plans can report drift precisely.
package stack
