package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

func init() {
	register(&command{
		name:    "runs",
		summary: "show the runs a host journaled: how each ended, or one run step by step",
		args:    []param{required("HOST"), optional("DIR")},
		about: "Each apply journals its changes on every host it touches (" + agent.RunsDir + ", through the agent). " +
			"A run whose berth went away (connection lost, berth killed, Ctrl-C twice) is finished and ended by the host itself: its journal says how.",
		setup: func(fs *flag.FlagSet) action {
			f := addInventoryFlags(fs)
			f.addSourceFlags(fs)
			run := fs.String("run", "", "print the journal of run `ID`, one line per entry")
			timeout := fs.Duration("timeout", time.Minute, "deadline for the whole command")
			return func(e *env, in invocation) int {
				return runRuns(e, in.args[0], dirArg(in.args[1:]), f, *run, f.json, *timeout)
			}
		},
	})
}

// runsScript prints, for the newest 20 journals, a record separator, the run id, and the
// journal's first and last lines. With $1 set, it prints that journal whole.
const runsScript = `d=` + agent.RunsDir + `
if [ -n "$1" ]; then cat -- "$d/$1.jsonl"; exit; fi
ls -1t "$d"/*.jsonl 2>/dev/null | head -n 20 | while IFS= read -r f; do
  printf '\036%s\n' "$(basename "$f" .jsonl)"; head -n 1 -- "$f"; tail -n 1 -- "$f"
done`

func runRuns(e *env, host, dir string, f *inventoryFlags, run string, asJSON bool, timeout time.Duration) int {
	if run != "" {
		if _, err := agent.JournalPath(run); err != nil {
			fmt.Fprintf(e.stderr, "error: %v\n", err)
			return exitError
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, ok := dialOneHost(ctx, e, host, dir, f)
	if !ok {
		return exitError
	}
	defer c.Close()
	name := c.Name()
	res, err := c.Run(ctx, modules.Command{Argv: []string{"sh", "-c", runsScript, "sh", run}})
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	if err != nil {
		hostError(e, name, fmt.Errorf("read the journals: %w", err))
		return exitError
	}
	if run != "" {
		for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
			if asJSON {
				fmt.Fprintln(e.stdout, line)
				continue
			}
			var en agent.Entry
			if json.Unmarshal([]byte(line), &en) == nil {
				fmt.Fprintln(e.stdout, entryLine(en))
			}
		}
		return exitOK
	}
	recs := strings.Split(string(res.Stdout), "\x1e")
	if len(strings.TrimSpace(string(res.Stdout))) == 0 {
		fmt.Fprintf(e.stdout, "%s: no runs journaled\n", name)
		return exitOK
	}
	for _, rec := range recs {
		lines := strings.Split(strings.TrimSpace(rec), "\n")
		if len(lines) < 3 {
			continue
		}
		var first, last agent.Entry
		json.Unmarshal([]byte(lines[1]), &first)
		json.Unmarshal([]byte(lines[2]), &last)
		state := "ended: " + last.Text
		if last.Event != agent.EventEnd {
			state = "not ended; last: " + entryLine(last)
		}
		fmt.Fprintf(e.stdout, "%s  %s by %s (%s)  %s\n", lines[0], first.Time.UTC().Format("2006-01-02 15:04:05Z"), first.Who, first.Command, state)
	}
	return exitOK
}

// entryLine is one journal entry as `berth runs --run` prints it.
func entryLine(en agent.Entry) string {
	s := en.Time.UTC().Format("15:04:05Z") + "  " + fmt.Sprintf("%-8s", en.Event)
	if en.Step > 0 {
		s += fmt.Sprintf("  step %d %s %s", en.Step, en.Address, en.Op)
	}
	if en.Who != "" {
		s += "  by " + en.Who + " (" + en.Command + ")"
	}
	if en.Text != "" {
		s += "  " + strings.ReplaceAll(en.Text, "\n", " | ")
	}
	return s
}
