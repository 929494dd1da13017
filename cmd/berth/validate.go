package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/runbook"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "parse and check the inventory, compose files and runbooks (no network)",
		args:    []param{optional("DIR")},
		about:   "Text and compact diagnostics go to stderr; --json prints them as a JSON array on stdout.",
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			return func(e *env, in invocation) int { return runValidate(e, dirArg(in.args), f) }
		},
	})
}

// runValidate loads the inventory and reports every problem; it touches no host.
// Text and compact diagnostics go to stderr; --json prints the diagnostics array to stdout.
func runValidate(e *env, dir string, f *inventoryFlags) int {
	if !f.check(e) {
		return exitError
	}
	inv, diags := inventory.Load(dir, f.options(e))
	pending := inv.PendingSources()
	if !diags.HasErrors() && len(pending) == 0 {
		diags = append(diags, validatePlacement(inv)...)
		diags = append(diags, provisioner.SwarmDiags(inv)...)
		diags = append(diags, validateRunbooks(inv)...)
		all := func(string) bool { return true }
		diags = append(diags, provisioner.CertificateDiags(provisioner.CertificateFindings(inv, all, time.Now()), hcl.DiagError)...)
	}
	if f.diagFormat() == formatJSON {
		writeDiags(e.stdout, inv.Files, diags, formatJSON)
	} else {
		printDiags(e, inv.Files, diags, f.diagFormat())
	}
	if diags.HasErrors() {
		if f.diagFormat() == formatText {
			fmt.Fprintf(e.stderr, "%s: %d error(s), %d warning(s)\n", dir, count(diags, true), count(diags, false))
		}
		return exitError
	}
	if f.diagFormat() != formatJSON {
		fmt.Fprintf(e.stdout, "%s is valid: %d hosts, %d groups, %d stacks, %d balancers, %d runbooks\n",
			dir, len(inv.Hosts), len(inv.Groups), len(inv.Stacks), len(inv.Balancers), len(inv.Runbooks))
		if len(pending) > 0 {
			fmt.Fprintf(e.stdout, "%s not listed (validate stays offline): placement and runbooks are checked by plan; 'berth hosts list' shows their hosts\n", strings.Join(pending, ", "))
		}
	}
	return exitOK
}

// validatePlacement runs the scheduler on the inventory alone (declared capacities, no facts,
// the placement lock beside the inventory as the current assignment): a stack that cannot be
// placed even on paper is an error now rather than at plan time. Nothing is contacted.
func validatePlacement(inv *inventory.Inventory) hcl.Diagnostics {
	current, err := provisioner.CurrentAssignment(inv)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid placement lock",
			Detail: fmt.Sprintf("%s: %v", provisioner.PlacementFilePath(inv), err)}}
	}
	_, diags := provisioner.Place(inv, nil, current)
	return diags
}

// validateRunbooks checks what the runbook runner would refuse at run time (a step selecting no
// host, a wait with both url and command), at each runbook's source.
func validateRunbooks(inv *inventory.Inventory) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, rb := range inv.Runbooks {
		if err := runbook.Check(inv, rb); err != nil {
			r := rb.DeclRange
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid runbook " + rb.Name,
				Detail: err.Error(), Subject: &r})
		}
	}
	return diags
}
