package stack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// The env's canary value must appear in no change (any field, any encoding), no command
// line, no stdin and no error: only in the .env file, written 0600 through WriteFile.
func TestSecretNeverLeaks(t *testing.T) {
	for _, gen := range []string{V1, V2} {
		s, _ := deployed(t, gen, nil)
		var changes []modules.Change
		var errs []error
		// env changed: a plan and a successful deploy.
		spec := testSpec(gen)
		spec.Env = []byte("API_KEY=" + canary + "-v2\n")
		r := newResource(spec)
		changes = append(changes, plan(t, r, s.host)...)
		errs = append(errs, deploy(t, r, s.host))
		// a failing version whose logs print the secret: rollback.
		s.health["web"] = "unhealthy"
		s.logs = "starting with API_KEY=" + canary + "-v3\n"
		spec.Env = []byte("API_KEY=" + canary + "-v3\n")
		r = newResource(spec)
		changes = append(changes, plan(t, r, s.host)...)
		errs = append(errs, deploy(t, r, s.host))
		// removal.
		rm := Removal("shop", "/srv/berth/shop")
		res, _ := s.host.Observe(t.Context(), rm.Probes())
		changes = append(changes, rm.Diff(res)...)

		if errs[1] == nil {
			t.Fatal("the failing version deployed")
		}
		for _, c := range changes {
			js, _ := json.Marshal(c)
			for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, js)} {
				if strings.Contains(out, canary) {
					t.Fatalf("%s: a change leaks the secret: %s", gen, out)
				}
			}
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("%s: an error leaks the secret: %v", gen, err)
			}
		}
		for i, line := range s.host.Ran {
			if strings.Contains(line, canary) || strings.Contains(string(s.host.Stdins[i]), canary) {
				t.Fatalf("%s: a command leaks the secret: %s", gen, line)
			}
		}
		for _, w := range s.host.Written {
			if strings.Contains(string(w.Content), canary) && (w.Path != "/srv/berth/shop/.env" || w.Mode != 0o600) {
				t.Fatalf("%s: secret written to %s mode %04o", gen, w.Path, w.Mode)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	env := []byte("A=abc\nTOKEN=\"s3cr3t-token\"\n# comment\nEMPTY=\n")
	got := redact("token s3cr3t-token and abc", env)
	if got != "token (sensitive) and abc" { // values under 4 bytes are too common to redact
		t.Fatalf("got %q", got)
	}
}
