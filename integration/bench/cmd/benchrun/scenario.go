package main

import (
	"path/filepath"
	"strconv"

	"github.com/berth-dev/berth/integration/bench"
)

// scenario is a piece of work and the tools that do it, first the reference, then berth.
type scenario struct {
	name  string
	tools []tool
	prep  func() error // untimed, before every run of every tool
	after func() error // untimed, once the cell is done
}

// bins are the programs under test.
type bins struct {
	berth, ref string
	facts      bool // also Ansible with gather_facts
}

func (b bins) refTool(f bench.Fleet, keys bench.Keys, mode string) tool {
	return tool{name: "ref-" + mode, check: exitIs(0), argv: []string{b.ref, "-mode", mode,
		"-n", strconv.Itoa(f.N), "-k", strconv.Itoa(f.K), "-port", strconv.Itoa(f.Port), "-dir", f.Dir,
		"-key", keys.Identity, "-known-hosts", keys.KnownHosts}}
}

func (b bins) berthTool(f bench.Fleet, name string, args ...string) tool {
	argv := append([]string{b.berth}, args...)
	argv = append(argv, "-p", strconv.Itoa(f.N))
	return tool{name: name, argv: argv, check: exitIs(0), notes: berthTrips}
}

func ansibleEnv(f bench.Fleet) []string {
	return []string{"ANSIBLE_CONFIG=" + filepath.Join(f.AnsibleDir(), "ansible.cfg"), "ANSIBLE_NOCOLOR=1"}
}

func ansiblePlaybook(f bench.Fleet, name, playbook string, check bool) tool {
	argv := []string{"ansible-playbook", filepath.Join(f.AnsibleDir(), playbook)}
	if check {
		argv = append(argv, "--check")
	}
	return tool{name: name, argv: argv, env: ansibleEnv(f), check: ansibleOK(check)}
}

func ansibleAdhoc(f bench.Fleet, module string) tool {
	return tool{name: "ansible-" + module, env: ansibleEnv(f), check: exitIs(0),
		argv: []string{"ansible", "all", "-m", module, "-a", "true"}}
}

// scenarios returns the work of one cell; Ansible with facts (a check only) and the ad-hoc
// command are only for the smallest K: what they add does not depend on K.
func (b bins) scenarios(f bench.Fleet, keys bench.Keys, smallestK bool) []scenario {
	dir := f.BerthDir()
	check := scenario{name: "check", tools: []tool{
		b.refTool(f, keys, "check"),
		b.berthTool(f, "berth-drift", "drift", dir, "--no-color", "--stats"),
		ansiblePlaybook(f, "ansible-check", bench.PlaybookFiles, true),
	}}
	apply := scenario{name: "apply", prep: f.RemoveFiles, after: f.WriteFiles, tools: []tool{
		b.refTool(f, keys, "upload"),
		b.berthTool(f, "berth-apply", "apply", dir, "--yes", "--no-color", "--stats"),
		ansiblePlaybook(f, "ansible-apply", bench.PlaybookFiles, false),
	}}
	if !smallestK {
		return []scenario{check, apply}
	}
	if b.facts {
		check.tools = append(check.tools, ansiblePlaybook(f, "ansible-check+facts", bench.PlaybookFilesFacts, true))
	}
	adhoc := scenario{name: "true", tools: []tool{
		b.refTool(f, keys, "true"),
		b.berthTool(f, "berth-exec", "exec", dir, "-l", "*", "--no-become", "--", "true"),
		ansibleAdhoc(f, "raw"),
		ansibleAdhoc(f, "command"),
	}}
	return []scenario{check, apply, adhoc}
}
