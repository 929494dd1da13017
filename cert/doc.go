// Package cert reads a TLS certificate bundle (PEM: the certificate chain and its private
// key, as HAProxy's `crt` takes it) and judges its expiry against a clock.
//
// Guarantees: a Bundle's PEM is a secret.Bytes, so it prints as "(sensitive)" however it is
// formatted; no error of Parse quotes the input, so a key cannot reach a message; what a
// plan may show of a bundle (Fingerprint, NotAfter, Subject) comes from the certificate
// alone. Status is pure: the caller passes the time, tests pass a fixed one.
package cert
