package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// run runs argv on h; a non-zero exit becomes an error naming what was being done, the
// host and the command's last output line. argv never holds a secret.
func run(ctx context.Context, h modules.Host, doing string, argv ...string) ([]byte, error) {
	res, err := h.Run(ctx, modules.Command{Argv: argv})
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", doing, h.Name(), err)
	}
	if res.ExitCode != 0 {
		return res.Stdout, fmt.Errorf("%s on %s: exit %d: %s", doing, h.Name(), res.ExitCode, lastLine(res.Stderr, res.Stdout))
	}
	return res.Stdout, nil
}

// script runs a POSIX shell script built from quoted values.
func script(ctx context.Context, h modules.Host, doing string, lines ...string) error {
	_, err := run(ctx, h, doing, "sh", "-c", "set -e\n"+strings.Join(lines, "\n"))
	return err
}

func lastLine(outs ...[]byte) string {
	for _, o := range outs {
		s := strings.TrimSpace(string(o))
		if s == "" {
			continue
		}
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		return s
	}
	return "(no output)"
}

// q quotes one shell word.
func q(s string) string { return modules.Quote(s) }
