package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// localHost is modules.Host on the host itself, for a job: the same code as the agent's
// requests, with each command noted in the run's journal.
type localHost struct {
	name string
	note func(string)
}

func (h *localHost) Name() string {
	if h.name != "" {
		return h.name
	}
	n, _ := os.Hostname()
	return n
}

func (h *localHost) Run(ctx context.Context, cmd modules.Command) (modules.Result, error) {
	if len(cmd.Argv) == 0 {
		return modules.Result{}, fmt.Errorf("run on %s: empty command", h.Name())
	}
	h.note("run " + argvSummary(cmd.Argv))
	r := &Run{Argv: cmd.Argv}
	if cmd.Stdin != nil {
		b, err := io.ReadAll(cmd.Stdin)
		if err != nil {
			return modules.Result{}, err
		}
		r.Stdin = b
	}
	res, err := run(ctx, r, nil)
	if err != nil {
		return modules.Result{ExitCode: -1}, fmt.Errorf("%s on %s: %w", cmd.Argv[0], h.Name(), err)
	}
	return modules.Result{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode}, nil
}

func (h *localHost) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	res, err := observe(ctx, ProbesFrom(probes))
	if err != nil {
		return nil, err
	}
	out := make([]modules.ProbeResult, len(res))
	for i, r := range res {
		out[i] = r.Module()
	}
	return out, nil
}

func (h *localHost) WriteFile(ctx context.Context, w modules.FileWrite) error {
	h.note("write " + w.Path)
	sum := sha256.Sum256(w.Content)
	err := write(ctx, &Write{Path: w.Path, Content: w.Content, SHA256: hex.EncodeToString(sum[:]), Mode: uint32(w.Mode.Perm()),
		Owner: w.Owner, Group: w.Group, MkdirParents: w.MkdirParents})
	if err != nil {
		return fmt.Errorf("%w (on %s)", err, h.Name())
	}
	return nil
}

// argvSummary is a command as the journal shows it: quoted, a script by its first line, at
// most 160 characters. Commands carry no secret (those go through stdin or files).
func argvSummary(argv []string) string {
	s := modules.QuoteArgv(argv)
	if len(argv) >= 3 && argv[0] == "sh" && argv[1] == "-c" {
		first := strings.TrimPrefix(argv[2], "set -e\n")
		first, _, _ = strings.Cut(first, "\n")
		s = "sh -c " + modules.Quote(first+" ...")
	}
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
