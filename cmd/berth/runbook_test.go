package main

import (
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/secret"
)

// The command printed to resume names the inventory directory as typed and the flags that
// load the same inventory; a sensitive value is not printed.
func TestRunbookInvocation(t *testing.T) {
	inv := &inventory.Inventory{SensitiveValues: []secret.Bytes{secret.Bytes("pw")}}
	f := &inventoryFlags{vars: varFlag{"token": "pw", "edge_url": "http://10.0.0.1"}, varFiles: listFlag{"prod vars.hcl"}}
	iv := runbookInvocation(inv, []string{"move", "inv/prod"}, f)
	got := iv.Command("run", "move", "--run", "R1")
	want := "berth runbook run move inv/prod -var-file 'prod vars.hcl' -var edge_url=http://10.0.0.1 -var 'token=(sensitive)' --run R1"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := runbookInvocation(inv, []string{"move"}, &inventoryFlags{vars: varFlag{}}).Command("undo", "move"); got != "berth runbook undo move" {
		t.Errorf("without DIR: %s", got)
	}
}
