package modules

import (
	"context"
	"fmt"
	"strings"
)

// Must runs argv on h and turns a non-zero exit into an error that says what was being done,
// on which host, and the last lines the command printed.
func Must(ctx context.Context, h Host, argv []string, doing string) error {
	_, err := Output(ctx, h, argv, doing)
	return err
}

// Output runs argv and returns its stdout, or an error as Must does.
func Output(ctx context.Context, h Host, argv []string, doing string) ([]byte, error) {
	res, err := h.Run(ctx, Command{Argv: argv})
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", doing, h.Name(), err)
	}
	if res.ExitCode != 0 {
		return res.Stdout, fmt.Errorf("%s on %s: exit %d: %s", doing, h.Name(), res.ExitCode, Tail(res.Stderr, res.Stdout))
	}
	return res.Stdout, nil
}

// Tail returns the last few non-empty lines of the first non-empty output, for error messages.
func Tail(outputs ...[]byte) string {
	for _, o := range outputs {
		s := strings.TrimSpace(string(o))
		if s == "" {
			continue
		}
		lines := strings.Split(s, "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		return strings.Join(lines, " | ")
	}
	return "(no output)"
}

// ExitError is a command that ran and failed.
type ExitError struct {
	Host   string
	Doing  string
	Result Result
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s on %s: exit %d: %s", e.Doing, e.Host, e.Result.ExitCode, Tail(e.Result.Stderr, e.Result.Stdout))
}
