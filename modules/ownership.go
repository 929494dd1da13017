package modules

import (
	"fmt"
	"io/fs"
)

// Ownership is the mode, owner and group berth wants on a path. File and directory
// resources share it so that both default, compare and report the same way.
type Ownership struct {
	Mode  fs.FileMode // 0 takes the resource's default mode
	Owner string      // "" means root
	Group string      // "" means root
}

// WithDefaults fills the zero fields: mode def, owner and group root.
func (o Ownership) WithDefaults(def fs.FileMode) Ownership {
	if o.Mode == 0 {
		o.Mode = def
	}
	if o.Owner == "" {
		o.Owner = "root"
	}
	if o.Group == "" {
		o.Group = "root"
	}
	return o
}

// Mismatch says how an observed path differs from o, one reason per attribute, for a
// change's Reason; nil when mode, owner and group all match.
func (o Ownership) Mismatch(obs ProbeResult) []string {
	var why []string
	if obs.Mode != o.Mode {
		why = append(why, fmt.Sprintf("mode is %04o, want %04o", obs.Mode, o.Mode))
	}
	if obs.Owner != o.Owner || obs.Group != o.Group {
		why = append(why, fmt.Sprintf("owner is %s:%s, want %s:%s", obs.Owner, obs.Group, o.Owner, o.Group))
	}
	return why
}

// String is how plans show it: "0644 root:root".
func (o Ownership) String() string { return fmt.Sprintf("%04o %s:%s", o.Mode, o.Owner, o.Group) }
