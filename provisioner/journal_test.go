package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

// journaling is a fake host that keeps the run's journal, as the agent does.
type journaling struct {
	*debianHost
	entries []agent.Entry
}

func (j *journaling) Journal(e agent.Entry) { j.entries = append(j.entries, e) }

// Each change is journaled on its host, under the run's id, with how it ended: the host's
// record of where a run stopped when berth is not there to say it.
func TestEachChangeIsJournaledOnItsHost(t *testing.T) {
	for _, run := range []string{"r1", ""} {
		j := &journaling{debianHost: newDebianHost("a")}
		var files []*inventory.File
		for _, n := range []string{"a", "b", "c"} {
			files = append(files, &inventory.File{Path: "/etc/berth-" + n, Content: []byte(n + "\n"), Mode: 0o644})
		}
		files = append(files, &inventory.File{Path: "/etc/berth-d", Content: []byte("d\n"), Mode: 0o644})
		inv := &inventory.Inventory{Hosts: []*inventory.Host{{Name: "a", Files: files}}}
		e := testEngine(inv, nil)
		e.Dial = func(context.Context, *inventory.Host) (Conn, error) { return j, nil }
		e.Run = run
		j.WriteErr = func(w modules.FileWrite) error {
			if w.Path == "/etc/berth-b" {
				return errors.New("no space left on device")
			}
			return nil
		}
		ctx := context.Background()
		e.Apply(ctx, e.Plan(ctx, []string{"a"}, false))
		var got []string
		for _, en := range j.entries {
			if en.Run != run {
				t.Errorf("entry of run %q, want %q", en.Run, run)
			}
			got = append(got, strings.TrimSpace(fmt.Sprintf("%s %d %s %.40s", en.Event, en.Step, en.Address, en.Text)))
		}
		want := []string{
			"start 1 file./etc/berth-a", "start 2 file./etc/berth-b", "start 3 file./etc/berth-c", "start 4 file./etc/berth-d",
			"done 1 file./etc/berth-a", "failed 2 file./etc/berth-b write /etc/berth-b on a: no space left o",
			"failed 3 file./etc/berth-c not written", "failed 4 file./etc/berth-d not written",
		}
		if run == "" {
			want = nil
		}
		// Start entries carry the plan's reason: compare without it.
		for i := range got {
			if strings.HasPrefix(got[i], "start") {
				got[i] = strings.Join(strings.Fields(got[i])[:3], " ")
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("run %q: journal\n%s\nwant\n%s", run, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
