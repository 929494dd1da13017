package testbed

import (
	"reflect"
	"testing"
)

func TestParseSpec(t *testing.T) {
	b, x := HostSpec{Release: Bookworm}, HostSpec{Release: Trixie}
	bd, xd := HostSpec{Release: Bookworm, Docker: true}, HostSpec{Release: Trixie, Docker: true}
	tests := []struct {
		spec string
		want Options
	}{
		{"bookworm", Options{Hosts: []HostSpec{b}}},
		{"trixie:2", Options{Hosts: []HostSpec{x, x}}},
		{"mixed:3", Options{Hosts: []HostSpec{b, x, b}}},
		{"mixed-docker:2+registry", Options{Hosts: []HostSpec{bd, xd}, Registry: true}},
		{"bookworm-docker+registry", Options{Hosts: []HostSpec{bd}, Registry: true}},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSpec(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestParseSpecRejects(t *testing.T) {
	for _, spec := range []string{"", "buster", "bookworm:0", "bookworm:x", "trixie:3+registy", "mixed-dock"} {
		if _, err := ParseSpec(spec); err == nil {
			t.Errorf("ParseSpec(%q) accepted a bad spec", spec)
		}
	}
}
