package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/secret"
)

// berth exec masks env file values and sensitive variables in stdout, stderr, --json lines
// and host errors.
func TestExecOutputIsMasked(t *testing.T) {
	m := &secret.Masker{}
	m.AddNamed("TOKEN", "canary-Vk93-value")
	m.AddNamed("PIN", "42")
	for _, jsonOut := range []bool{false, true} {
		var out, errOut bytes.Buffer
		o := &execOutput{e: &env{stdout: &out, stderr: &errOut}, json: jsonOut, mask: m}
		o.line("h1", "stdout", "TOKEN=canary-Vk93-value")
		o.line("h1", "stderr", `["PIN=42","HOME=/root"] canary-Vk93-value`)
		o.summary([]provisioner.HostOutcome{{Host: "h1", Err: errors.New("exit 1: canary-Vk93-value")}})
		all := out.String() + errOut.String()
		if strings.Contains(all, "canary-Vk93") || strings.Contains(all, "PIN=42") {
			t.Errorf("json=%v: a secret was printed:\n%s", jsonOut, all)
		}
		if !strings.Contains(all, "HOME=/root") || !strings.Contains(all, "TOKEN=(sensitive)") {
			t.Errorf("json=%v: output not kept around the secrets:\n%s", jsonOut, all)
		}
	}
}
