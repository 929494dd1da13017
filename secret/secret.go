// Package secret holds the one type berth uses for sensitive content (an env file, a
// sensitive variable's value). It is a leaf: the inventory, which reads secrets, and the
// modules, which ship them, both use it without importing each other.
package secret

// Bytes is sensitive content. Every way Go prints or encodes a value is redirected to
// "(sensitive)", so a secret cannot leak through a stray fmt verb, a log line or a JSON
// event; code that must ship it reads the bytes explicitly ([]byte(b)).
type Bytes []byte

// Redacted is what every output shows in place of a secret.
const Redacted = "(sensitive)"

func (Bytes) String() string               { return Redacted }
func (Bytes) GoString() string             { return Redacted }
func (Bytes) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Bytes) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
