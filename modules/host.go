package modules

import (
	"context"
	"io"
	"io/fs"
)

// Host is what a resource needs from a machine. The transport implements it over SSH (or the
// berth agent); tests implement it with a fake. Every method names the host in its errors.
type Host interface {
	// Name is the inventory name of the host, for messages.
	Name() string
	// Run runs a command. Argv elements are quoted by the transport; nothing is interpreted by
	// a shell unless argv asks for one explicitly. Secrets go through Stdin, never argv.
	// A non-zero exit is not an error: it is reported in Result.ExitCode.
	Run(ctx context.Context, cmd Command) (Result, error)
	// Observe executes a batch of probes in one round trip and returns one result per probe,
	// in order. It never changes the host.
	Observe(ctx context.Context, probes []Probe) ([]ProbeResult, error)
	// WriteFile replaces a file atomically: the new content appears at once with its final
	// mode and owner (temp file in the same directory, verified, then renamed), and an
	// interrupted write leaves the old file intact.
	WriteFile(ctx context.Context, w FileWrite) error
}

// Command is a command to run on a host.
type Command struct {
	Argv  []string
	Stdin io.Reader
	// User runs the command without become (as the SSH user) when true.
	NoBecome bool
	// Stream, when set, receives output lines as they arrive (for progress views).
	Stream func(stream string, line string)
}

// Result is what a command produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// FileWrite describes an atomic file replacement.
type FileWrite struct {
	Path    string
	Content []byte
	// SHA256 is Content's hex SHA-256 when the writer already has it ("" : the host
	// computes it); the host checks the written file against it either way.
	SHA256 string
	Mode   fs.FileMode
	Owner  string // "" keeps root (or the writing user without become)
	Group  string
	// MkdirParents creates missing parent directories (mode 0755, root-owned).
	MkdirParents bool
}

// BatchWriter is a Host that can write several files in one round trip. The engine uses it
// for a run of changes that are each one file write (see Writer), so K changed files cost
// one request instead of K. Writes happen in order with WriteFile's guarantees each, and
// stop at the first failure: done is how many files were written, and err (naming the
// file) says why the next one was not.
type BatchWriter interface {
	WriteFiles(ctx context.Context, ws []FileWrite) (done int, err error)
}
