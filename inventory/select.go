package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Select resolves a selector to the sorted names of the hosts it selects. A selector is a
// comma-separated list of terms:
//
//	"*"                every host
//	"app-1"            a host name
//	"web"              a group name (its members)
//	"role=app"         hosts whose label role is app
//	"zone!=rbx"        hosts whose label zone is not rbx (or that have no zone label)
//
// Name terms add up (union); label terms all must hold (intersection) and filter the names,
// or every host when the selector names none: "role=app,zone=rbx" is the app hosts in rbx,
// "web,zone=rbx" the members of web in rbx. An unknown name is an error; an empty result is a
// warning. The diagnostics have no source range: callers attach one.
func Select(inv *Inventory, selector string) ([]string, hcl.Diagnostics) {
	s := newSelector(inv)
	return s.resolve(selector)
}

type selector struct {
	hosts  map[string]*Host
	groups map[string]*Group
	all    []string
	// pending names the sources not listed (an offline load): their hosts are unknown, so a
	// selector matching nothing, or naming no known host, may be right and is not reported.
	pending []string
}

func newSelector(inv *Inventory) *selector {
	s := &selector{hosts: map[string]*Host{}, groups: map[string]*Group{}, pending: inv.PendingSources()}
	for _, h := range inv.Hosts {
		s.hosts[h.Name] = h
		s.all = append(s.all, h.Name)
	}
	for _, g := range inv.Groups {
		s.groups[g.Name] = g
	}
	sort.Strings(s.all)
	return s
}

type labelTerm struct {
	key, value string
	negate     bool
}

func (s *selector) resolve(sel string) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	names, labels, star := map[string]bool{}, []labelTerm{}, false
	for _, raw := range strings.Split(sel, ",") {
		t := strings.TrimSpace(raw)
		switch {
		case t == "":
			diags = append(diags, selErr(sel, "an empty term (two commas, or a comma at an end)"))
		case t == "*":
			star = true
		case strings.Contains(t, "="):
			lt, d := parseLabelTerm(sel, t)
			diags = append(diags, d...)
			labels = append(labels, lt)
		default:
			diags = append(diags, s.addName(t, names)...)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	out := s.filter(names, labels, star)
	if len(out) == 0 && len(s.pending) == 0 {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Selector selects no host",
			Detail: fmt.Sprintf("The selector %q matches no host of the inventory, so what uses it applies nowhere.", sel)})
	}
	return out, diags
}

func parseLabelTerm(sel, t string) (labelTerm, hcl.Diagnostics) {
	k, v, _ := strings.Cut(t, "=")
	lt := labelTerm{key: strings.TrimSpace(k), value: strings.TrimSpace(v)}
	if strings.HasSuffix(lt.key, "!") {
		lt.key, lt.negate = strings.TrimSpace(strings.TrimSuffix(lt.key, "!")), true
	}
	if !labelKeyRule.MatchString(lt.key) || hasControl(lt.value) {
		return lt, hcl.Diagnostics{selErr(sel, fmt.Sprintf("the label term %s (write key=value or key!=value)", quoteSafe(t)))}
	}
	return lt, nil
}

func (s *selector) addName(t string, names map[string]bool) hcl.Diagnostics {
	if _, ok := s.hosts[t]; ok {
		names[t] = true
		return nil
	}
	if g, ok := s.groups[t]; ok {
		for _, m := range g.Members {
			names[m] = true
		}
		return nil
	}
	if len(s.pending) > 0 {
		return hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Host not known offline",
			Detail: fmt.Sprintf("The selector names %s, which is no host block or group; it may be a host of %s, which only the commands that connect list (see berth hosts list).", quoteSafe(t), strings.Join(s.pending, ", "))}}
	}
	cands := append([]string{}, s.all...)
	for g := range s.groups {
		cands = append(cands, g)
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown host or group in selector",
		Detail: fmt.Sprintf("The selector names %s, which is neither a host nor a group of the inventory.%s Labels are selected with key=value.", quoteSafe(t), suggest(t, cands))}}
}

func (s *selector) filter(names map[string]bool, labels []labelTerm, star bool) []string {
	out := []string{}
	if len(names) > 0 && !star && len(names) < len(s.all)/8 {
		// A few names of a big fleet (a per-host block): look them up rather than walk every
		// host, which made 1000 hosts with 100 blocks each 100 million steps. s.all is sorted.
		for n := range names {
			if matchLabels(s.hosts[n].Labels, labels) {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, n := range s.all {
		if len(names) > 0 && !star && !names[n] {
			continue
		}
		if matchLabels(s.hosts[n].Labels, labels) {
			out = append(out, n)
		}
	}
	return out
}

func matchLabels(have map[string]string, terms []labelTerm) bool {
	for _, t := range terms {
		v, ok := have[t.key]
		if t.negate == (ok && v == t.value) {
			return false
		}
	}
	return true
}

func selErr(sel, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid selector",
		Detail: fmt.Sprintf("The selector %s has %s. A selector is \"*\", host or group names, and key=value label terms, separated by commas.", quoteSafe(sel), what)}
}
