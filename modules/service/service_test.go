package service

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

func TestDiff(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		spec Spec
		show string
		want string
	}{
		{"running and enabled", Spec{Name: "docker", Enabled: &yes, State: "running"}, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", ""},
		{"not installed yet", Spec{Name: "docker", Enabled: &yes, State: "running"}, "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n", "enable,start"},
		{"stopped by hand", Spec{Name: "rsyslog", State: "running"}, "LoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n", "start"},
		{"must be stopped and disabled", Spec{Name: "old", Enabled: &no, State: "stopped"}, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", "disable,stop"},
		{"absent unit need not be stopped", Spec{Name: "old", Enabled: &no, State: "stopped"}, "LoadState=not-found\nActiveState=inactive\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ops []string
			for _, c := range New(tc.spec).Diff([]modules.ProbeResult{{Stdout: []byte(tc.show)}}) {
				ops = append(ops, c.Op)
			}
			if got := strings.Join(ops, ","); got != tc.want {
				t.Fatalf("ops %q, want %q", got, tc.want)
			}
		})
	}
}
