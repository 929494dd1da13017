package runbook

import (
	"errors"
	"fmt"

	"github.com/berth-dev/berth/inventory"
)

// Check reports what the inventory's validation cannot know is wrong with a runbook's
// steps: steps that act on hosts but select none, and a wait with both url and command. It
// names each step with its source position.
func Check(inv *inventory.Inventory, rb *inventory.Runbook) error {
	var errs []error
	for _, st := range rb.Steps {
		errs = append(errs, checkStep(st)...)
		if st.Undo != nil {
			errs = append(errs, checkStep(undoOf(st))...)
		}
	}
	return errors.Join(errs...)
}

func checkStep(st *inventory.Step) []error {
	var errs []error
	where := fmt.Sprintf("%s: step %s", st.DeclRange.String(), st.ID)
	needsHosts := st.Kind == "exec" || st.Kind == "service" || (st.Kind == "wait" && len(st.Command) > 0)
	if needsHosts && len(st.Hosts) == 0 {
		errs = append(errs, fmt.Errorf("%s: a %s step needs hosts (its selector matched none, or it has none)", where, st.Kind))
	}
	if st.Kind == "wait" && len(st.Command) > 0 && st.Attrs["url"] != "" {
		errs = append(errs, fmt.Errorf("%s: a wait step takes url or command, not both", where))
	}
	return errs
}
