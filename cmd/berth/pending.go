package main

// Commands of the design that are not built yet. Each is listed in help and exits 1 naming
// the issue that builds it; a command's own file replaces its entry here when it lands.
func init() {
	for _, c := range []*command{
		{name: "validate", summary: "parse and check the inventory, compose files and runbooks (no network)", usage: "[DIR]", pending: "issue 3"},
		{name: "plan", summary: "connect, observe and show what apply would change", usage: "[DIR] [-l SELECTOR] [-out FILE] [--json]", pending: "issue 5"},
		{name: "apply", summary: "plan, confirm and change the hosts", usage: "[DIR|PLANFILE] [--yes]", pending: "issue 5"},
		{name: "drift", summary: "report hosts that differ from the inventory, read-only", usage: "[DIR] [--json] [--junit FILE]", pending: "issue 5"},
		{name: "runbook", summary: "run ordered, resumable, journaled migration steps", usage: "run|status|undo NAME [--from STEP]", pending: "issue 8"},
		{name: "exec", summary: "run an ad-hoc command on selected hosts", usage: "-l SELECTOR -- CMD...", pending: "issue 4"},
		{name: "facts", summary: "show the facts gathered from hosts", usage: "[DIR] [-l SELECTOR] [--json]", pending: "issue 4"},
		{name: "hosts", summary: "manage host keys: hosts trust HOST", usage: "trust HOST [--fingerprint SHA256:...]", pending: "issue 4"},
		{name: "unlock", summary: "remove a stale host lock", usage: "HOST --id TOKEN", pending: "issue 4"},
		{name: "agent", summary: "run as the on-host agent (started by berth itself)", usage: "", pending: "issue 9"},
	} {
		if _, done := commands[c.name]; !done {
			register(c)
		}
	}
}
