package stack

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// The host's own compose refusing the project fails the plan with the user's file, the line of
// the attribute compose names, and a hint; its output never carries an env value.
func TestCheckReportsWhatTheHostsComposeRefuses(t *testing.T) {
	spec := testSpec(V1)
	spec.CheckCompose = true
	spec.Source = "stacks/shop/compose.yaml"
	spec.SourceText = []byte("name: shop\nservices:\n  web:\n    image: x\n")
	r := newResource(spec)
	ps := r.Probes()
	last := ps[len(ps)-1]
	script := last.Argv[len(last.Argv)-1]
	if !strings.Contains(script, "config -q") || strings.Contains(script, canary) {
		t.Fatalf("the config probe is not a compose config -q, or carries the env's value:\n%s", script)
	}
	if !strings.Contains(script, "--profile") == (len(spec.Profiles) > 0) {
		t.Errorf("profiles not passed to config -q:\n%s", script)
	}
	results := make([]modules.ProbeResult, len(ps))
	results[len(ps)-1] = modules.ProbeResult{ExitCode: 1, Stdout: []byte("ERROR: The Compose file '/tmp/berth-check.AbC123/docker-compose.yml' is invalid because:\nInvalid top-level property \"name\". Valid top-level sections for this Compose file are: version, services, networks, volumes, secrets, configs, and extensions starting with \"x-\".\n")}
	err := r.Check(results)
	if err == nil {
		t.Fatal("a refusal of the host's compose is not an error")
	}
	for _, want := range []string{"stack shop", "stacks/shop/compose.yaml:1", "(v1)", `Invalid top-level property "name"`, spec.Dir + "/docker-compose.yml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	// docker-compose 1.29's own words, as the bed's Debian 12 host answers.
	results[len(ps)-1] = modules.ProbeResult{ExitCode: 1, Stdout: []byte("The Compose file '/tmp/berth-check.Zz9/docker-compose.yml' is invalid because: 'name' does not match any of the regexes: '^x-'\n")}
	if err := r.Check(results); err == nil || !strings.Contains(err.Error(), "compose.yaml:1") {
		t.Errorf("v1's message: the line is not found: %v", err)
	}
	results[len(ps)-1] = modules.ProbeResult{}
	if err := r.Check(results); err != nil {
		t.Errorf("compose accepted the project, yet: %v", err)
	}
}

// Without CheckCompose (compose not installed yet) there is no probe and nothing to check.
func TestNoCheckBeforeComposeIsInstalled(t *testing.T) {
	r := newResource(testSpec(V2))
	for _, p := range r.Probes() {
		if len(p.Argv) > 0 && strings.Contains(p.Argv[len(p.Argv)-1], "config -q") {
			t.Fatal("a config probe without compose on the host")
		}
	}
}

// A stack without an env file ships no .env and the plan does not name one; a port bound to an
// address is published on it only.
func TestNoEnvFileAndBoundPorts(t *testing.T) {
	spec := testSpec(V2)
	spec.Env = nil
	p := spec.Ports["http"]
	p.Bind = "10.0.0.5"
	spec.Ports["http"] = p
	r := newResource(spec)
	if strings.Contains(r.summary(), ".env") {
		t.Errorf("the plan names .env for a stack without one: %s", r.summary())
	}
	if o := string(r.OverrideFile()); !strings.Contains(o, `"10.0.0.5:20001:8080/tcp"`) {
		t.Errorf("override does not bind the address:\n%s", o)
	}
}
