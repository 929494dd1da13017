package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/inventory"
)

// hostsList is `berth hosts list`: what the inventory and its sources produce, without
// connecting to any host.
var hostsList = &command{
	name:    "list",
	summary: "list the hosts of the inventory and of its sources (vSphere): name, address, labels, capacity, origin",
	args:    []param{optional("DIR")},
	about:   "Lists source blocks (it contacts vCenter, never the hosts). --json prints one object per line: name, address, labels, capacity (cpus, memory in bytes), source (\"\" for a host block), origin.",
	setup: func(fs *flag.FlagSet) action {
		f := addInventoryFlags(fs)
		f.addSourceFlags(fs)
		return func(e *env, in invocation) int { return runHostsList(e, dirArg(in.args), f) }
	},
}

// listedHost is one line of hosts list --json.
type listedHost struct {
	Name     string            `json:"name"`
	Address  string            `json:"address"`
	Labels   map[string]string `json:"labels"`
	Capacity struct {
		CPUs   float64 `json:"cpus"`
		Memory int64   `json:"memory"`
	} `json:"capacity"`
	Source string `json:"source"`
	Origin string `json:"origin"`
}

func runHostsList(e *env, dir string, f *inventoryFlags) int {
	if !f.check(e) {
		return exitError
	}
	inv, names, ok := selectHosts(e, dir, f)
	if !ok {
		return exitError
	}
	enc := json.NewEncoder(e.stdout)
	for _, n := range names {
		h := inv.Host(n)
		l := listedHost{Name: h.Name, Address: h.Address, Labels: h.Labels, Source: h.Source, Origin: h.Origin}
		l.Capacity.CPUs, l.Capacity.Memory = h.Capacity.CPUs, h.Capacity.Memory
		if h.Source == "" {
			l.Origin = h.DeclRange.String()
		}
		if f.json {
			_ = enc.Encode(l)
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Address, labelText(l.Labels), capacityText(h.Capacity), originText(h))
	}
	if !f.json {
		for _, s := range inv.Sources {
			fmt.Fprintf(e.stderr, "%s (%s): %d hosts from %s\n", s.Address(), s.DeclRange.String(), len(s.HostNames), s.From)
		}
	}
	return exitOK
}

func labelText(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func capacityText(c inventory.Capacity) string {
	if c.CPUs == 0 && c.Memory == 0 {
		return "-"
	}
	return fmt.Sprintf("%gcpu/%dMiB", c.CPUs, c.Memory>>20)
}

func originText(h *inventory.Host) string {
	if h.Source == "" {
		return h.DeclRange.String()
	}
	return h.Source + " " + h.Origin
}
