package runbook

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner"
	"github.com/berth-dev/berth/provisioner/facts"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// named is a resource that only has an address.
type named string

func (n named) Address() string                                           { return string(n) }
func (n named) Probes() []modules.Probe                                   { return nil }
func (n named) Diff([]modules.ProbeResult) []modules.Change               { return nil }
func (n named) Apply(context.Context, modules.Host, modules.Change) error { return nil }

func TestTargetedKeepsOnlyTheTargetedResources(t *testing.T) {
	h := &inventory.Host{Name: "a", Docker: &inventory.Docker{Source: "distro"}, Syslog: &inventory.Syslog{ContainerLogs: "/var/log/containers", Rotate: 14},
		Files: []*inventory.File{{Path: "/etc/motd"}, {Path: "/etc/issue"}}}
	inv := &inventory.Inventory{Hosts: []*inventory.Host{h}}
	all := func(inv *inventory.Inventory, h *inventory.Host, f *facts.Facts, a schedule.Assignment) ([]modules.Resource, error) {
		return append(provisioner.HostLayer(inv, h, f), named("stack.web"), named("stack.api")), nil
	}
	f := &facts.Facts{OS: facts.OS{ID: "debian", Codename: "bookworm"}, Arch: "x86_64"}
	addrs := func(targets ...string) []string {
		var out []string
		rs, err := Targeted(all, targets)(inv, h, f, schedule.Assignment{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			out = append(out, r.Address())
		}
		sort.Strings(out)
		return out
	}
	docker := addrs("docker")
	if len(docker) < 3 || !contains(docker, "docker.daemon") || !contains(docker, "service.docker") || contains(docker, "service.rsyslog") || contains(docker, "stack.web") {
		t.Errorf("docker target: %q", docker)
	}
	if got := addrs("stack.web", "file./etc/motd"); !reflect.DeepEqual(got, []string{"file./etc/motd", "stack.web"}) {
		t.Errorf("stack.web + file./etc/motd: %q", got)
	}
	if syslog := addrs("syslog"); !contains(syslog, "service.rsyslog") || contains(syslog, "docker.daemon") {
		t.Errorf("syslog target: %q", syslog)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTargetedStepRefusesUntargetedMoves(t *testing.T) {
	moved := schedule.StackPlacement{Name: "api", Replicas: []schedule.Replica{{Index: 0, Host: "b", Status: schedule.Moved, From: "a"}}}
	kept := schedule.StackPlacement{Name: "web", Replicas: []schedule.Replica{{Index: 0, Host: "a", Status: schedule.Kept}}}
	sess := &provisioner.Session{Plan: &provisioner.Plan{Placement: &schedule.Assignment{Stacks: []schedule.StackPlacement{moved, kept}}}}
	if err := planProblems(sess, &inventory.Step{Targets: []string{"stack.web"}}); err == nil {
		t.Error("a step targeting stack.web applied while stack api moves")
	}
	for _, targets := range [][]string{{"stack.web", "stack.api"}, nil} {
		if err := planProblems(sess, &inventory.Step{Targets: targets}); err != nil {
			t.Errorf("targets %q: %v", targets, err)
		}
	}
	sess.Plan.Hosts = []*provisioner.HostPlan{{Host: "b", Error: "unreachable"}}
	if err := planProblems(sess, &inventory.Step{}); err == nil {
		t.Error("a host that could not be planned did not stop the step")
	}
}
