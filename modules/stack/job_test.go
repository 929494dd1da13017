package stack

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

// detaching is a fake host that takes jobs as the agent does: it gets only the job's bytes,
// and runs them with RunJob, against itself.
type detaching struct {
	*hosttest.Fake
	t    *testing.T
	jobs []modules.Job
}

func (d *detaching) CanDetach() bool { return true }

func (d *detaching) Detach(ctx context.Context, j modules.Job) error {
	d.jobs = append(d.jobs, j)
	if strings.Contains(j.Title, canary) {
		d.t.Fatalf("job title leaks the env: %s", j.Title)
	}
	var raw map[string]any
	if err := json.Unmarshal(j.Data, &raw); err != nil {
		d.t.Fatal(err)
	}
	raw["poll"] = 1000 // 1µs: the job runs on the real clock
	data, _ := json.Marshal(raw)
	return RunJob(context.Background(), d.Fake, data)
}

var versionName = regexp.MustCompile(`\d{8}T\d{6}Z-`)

// A deploy handed to the host as a job does exactly what the same deploy does from here,
// successful or rolled back, and says the same when it fails.
func TestADetachedDeployRunsTheSameSteps(t *testing.T) {
	for _, gen := range []string{V1, V2} {
		for _, unhealthy := range []bool{false, true} {
			run := func(detach bool) (string, string, int) {
				s, _ := deployed(t, gen, nil)
				oldWeb := s.images["registry.test:5000/web:1"]
				spec := testSpec(gen)
				spec.Env = []byte("API_KEY=new-" + canary + "\n")
				if unhealthy {
					s.registry["registry.test:5000/web:1"] = "sha256:" + strings.Repeat("f", 64)
					s.health["web"] = "unhealthy"
					s.afterUp = func(int) {
						if s.images["registry.test:5000/web:1"] == oldWeb {
							s.ctrs[0].State.Health.Status = "healthy"
						}
					}
				}
				s.host.Ran = nil
				var h modules.Host = s.host
				d := &detaching{Fake: s.host, t: t}
				if detach {
					h = d
				}
				r := newResource(spec)
				var err error
				for _, c := range plan(t, r, s.host) {
					if err = r.Apply(context.Background(), h, c); err != nil {
						break
					}
				}
				if detach && len(d.jobs) != 1 {
					t.Fatalf("%d jobs handed to the host, want the deploy", len(d.jobs))
				}
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				return versionName.ReplaceAllString(strings.Join(s.host.Ran, "\n"), "V-"), msg, s.ups
			}
			ranHere, errHere, upsHere := run(false)
			ranThere, errThere, upsThere := run(true)
			if ranHere != ranThere {
				t.Errorf("%s unhealthy=%v: commands differ\nhere:\n%s\n\non the host:\n%s", gen, unhealthy, ranHere, ranThere)
			}
			if errHere != errThere || upsHere != upsThere {
				t.Errorf("%s unhealthy=%v: outcome differs: %q (%d ups) vs %q (%d ups)", gen, unhealthy, errHere, upsHere, errThere, upsThere)
			}
			if unhealthy != (errThere != "") || (unhealthy && !strings.Contains(errThere, "rolled back")) {
				t.Errorf("%s unhealthy=%v: error %q", gen, unhealthy, errThere)
			}
		}
	}
}
