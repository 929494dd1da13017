package testbed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// docker runs the docker CLI and returns its trimmed stdout; a failure carries stderr.
func docker(ctx context.Context, args ...string) (string, error) {
	return dockerIn(ctx, nil, args...)
}

// dockerIn is docker with stdin.
func dockerIn(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	return run(ctx, stdin, "docker", args...)
}

// run runs a program and returns its trimmed stdout; a failure names the command and carries
// the end of stderr.
func run(ctx context.Context, stdin io.Reader, prog string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = stdin
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", prog, shortArgs(args), err, tail(stderr.String(), 600))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// shortArgs shows the first arguments of a command in errors without flooding them.
func shortArgs(args []string) string {
	if len(args) > 6 {
		return strings.Join(args[:6], " ") + " ..."
	}
	return strings.Join(args, " ")
}

// tail keeps the last n bytes of s, where error messages usually are.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// lines splits command output into non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
