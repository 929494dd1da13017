// Package schedule decides which host runs each replica of each stack and which host port
// each named port of a replica publishes.
//
// It is pure: no I/O except the lock file helpers (ReadPlacementFile, WritePlacementFile), no clock, no
// randomness, and no dependency on the inventory package (the caller converts its model into
// a Request). Place guarantees:
//
//   - Determinism: the same Request gives the same Assignment and the same Problems, byte for
//     byte. Hosts and stacks are visited in name order and every tie is broken by name.
//   - Safety: no two replicas share a host port on one host; automatic ports come from the
//     host's range and avoid ports the host reports in use; declared capacity is never
//     exceeded; the replicas of one stack run on distinct hosts; drained hosts get nothing new.
//   - Stickiness: a replica of the current assignment that is still feasible stays where it is
//     with its ports. Kept replicas are placed before anything else, so adding a host moves
//     nothing, adding a stack moves nothing else and draining a host moves only its replicas.
//
// When a replica fits nowhere, Place says why for every host (a Problem), and places
// everything else.
package schedule
