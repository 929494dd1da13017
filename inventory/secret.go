package inventory

// Secret is sensitive content (an env file, a sensitive variable). Every way Go prints or
// encodes a value is redirected to "(sensitive)", so a secret cannot leak through a stray
// fmt verb, a log line or a JSON event; code that must ship it reads the bytes explicitly.
type Secret []byte

// Redacted is what every output shows in place of a secret.
const Redacted = "(sensitive)"

func (Secret) String() string               { return Redacted }
func (Secret) GoString() string             { return Redacted }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
