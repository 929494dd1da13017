// Package sops opens SOPS-encrypted files whose data key is encrypted to age recipients,
// in memory: nothing decrypted is ever written to disk.
//
// It implements the SOPS file format (https://github.com/getsops/sops, docs "Encryption
// protocol") for what berth reads: dotenv files, JSON documents and binary files (JSON with
// one "data" value), with age as the only key type. It verifies everything SOPS verifies:
// each value is AES-256-GCM with its path as additional data, and the file's MAC (SHA-512 of
// every value in document order, encrypted with the last-modified time as additional data)
// must match, so a value changed, removed, added or moved fails to open.
//
// Why not the sops module itself: importing github.com/getsops/sops/v3/decrypt brings every
// cloud KMS SDK and builds a 64 MB program, and berth's binary is also the agent uploaded to
// every host. This package adds only filippo.io/age.
package sops
