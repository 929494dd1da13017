package inventory

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestSelect(t *testing.T) {
	inv := &Inventory{
		Hosts: []*Host{
			{Name: "a1", Labels: map[string]string{"role": "app", "zone": "rbx"}},
			{Name: "a2", Labels: map[string]string{"role": "app", "zone": "gra"}},
			{Name: "db", Labels: map[string]string{"role": "db", "zone": "rbx"}},
			{Name: "lb"},
		},
		Groups: []*Group{{Name: "web", Members: []string{"a1", "a2"}}},
	}
	tests := []struct {
		sel   string
		want  []string
		sev   hcl.DiagnosticSeverity // 0: no diagnostic
		inMsg string
	}{
		{"*", []string{"a1", "a2", "db", "lb"}, 0, ""},
		{"a1", []string{"a1"}, 0, ""},
		{"a1, db", []string{"a1", "db"}, 0, ""},
		{"web", []string{"a1", "a2"}, 0, ""},
		{"role=app", []string{"a1", "a2"}, 0, ""},
		{"role=app,zone=rbx", []string{"a1"}, 0, ""},
		{"zone!=rbx", []string{"a2", "lb"}, 0, ""},
		{"web,zone=gra", []string{"a2"}, 0, ""},
		{"*,role=db", []string{"db"}, 0, ""},
		{"role=cache", []string{}, hcl.DiagWarning, "no host"},
		{"webb", nil, hcl.DiagError, `Did you mean "web"`},
		{"a1,,a2", nil, hcl.DiagError, "empty term"},
		{"=app", nil, hcl.DiagError, "label term"},
		{"role=a\x01", nil, hcl.DiagError, "label term"},
	}
	for _, tt := range tests {
		got, diags := Select(inv, tt.sel)
		if tt.sev == 0 && len(diags) > 0 {
			t.Errorf("%q: unexpected %v", tt.sel, diags)
		}
		if tt.sev != 0 && (len(diags) == 0 || diags[0].Severity != tt.sev || !strings.Contains(diags[0].Detail+diags[0].Summary, tt.inMsg)) {
			t.Errorf("%q: want diagnostic %q, got %v", tt.sel, tt.inMsg, diags)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, want %v", tt.sel, got, tt.want)
		}
	}
}

// In a big fleet a selector of a few names looks them up instead of walking every host: the
// answer is the walk's, in the same order, labels applied.
func TestAFewNamesOfABigFleet(t *testing.T) {
	inv := &Inventory{}
	for i := 0; i < 100; i++ {
		role := map[bool]string{true: "web", false: "db"}[i%3 == 0]
		inv.Hosts = append(inv.Hosts, &Host{Name: fmt.Sprintf("h%02d", 99-i), Labels: map[string]string{"role": role}})
	}
	s := newSelector(inv)
	for sel, want := range map[string]string{
		"h42":               "h42",
		"h07,h42,h03":       "h03,h07,h42",
		"h99,h98,role=web":  "h99",
		"h98,h97,role!=web": "h97,h98",
	} {
		got, diags := s.resolve(sel)
		if diags.HasErrors() || strings.Join(got, ",") != want {
			t.Errorf("%s: %q %v, want %s", sel, got, diags, want)
		}
	}
}
