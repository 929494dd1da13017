package modules

// Action is what a change does to a resource. The rune is also its display symbol, as in
// Terraform: a plan line starts with it.
type Action rune

const (
	Create  Action = '+' // the resource does not exist yet
	Update  Action = '~' // the resource exists and is changed in place
	Replace Action = '±' // the resource is recreated or restarted
	Delete  Action = '-' // the resource is removed
)

func (a Action) String() string { return string(a) }

// Change is one step of a plan for one resource on one host. It is data: it can be saved,
// shown, compared and applied later; Apply makes no decision the change does not carry.
type Change struct {
	Host    string `json:"host"`
	Address string `json:"address"` // e.g. "docker.daemon", "file./etc/motd", "stack.directory"
	Action  Action `json:"action"`
	// Op names the operation for the resource's Apply: "install", "write", "restart"...
	Op     string `json:"op"`
	Reason string `json:"reason"`
	// Before and After are short human summaries; secrets are already redacted.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Sensitive marks a change whose values must never be shown.
	Sensitive bool `json:"sensitive,omitempty"`
	// Observed is what the emitting resource saw on the host and its Apply acts on (a type
	// of that resource's own: a stack's deployed manifest, leftover containers...). Apply
	// takes it from here instead of reading the host again, so it can only do what the
	// plan showed. It is never encoded: a saved plan is applied by planning again and
	// comparing (see provisioner.SameChanges), which observes afresh.
	Observed any `json:"-"`
}

// MarshalJSON-friendly action: encode as a one-character string.
func (a Action) MarshalText() ([]byte, error) { return []byte(string(a)), nil }

// UnmarshalText decodes an action symbol.
func (a *Action) UnmarshalText(b []byte) error {
	r := []rune(string(b))
	if len(r) == 1 {
		*a = Action(r[0])
	}
	return nil
}
