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

// Job is a change a host carries out on its own once it has started (see Detacher). Kind
// names the code that runs it on the host (the agent's registry), Title says what it is in
// the host's run journal, and Data is the kind's own encoding. Data may hold secrets (a
// stack's env file): it travels only over the agent's stdin and is stored 0600 on the host
// until the job reads it.
type Job struct {
	Kind  string
	Title string
	Data  []byte
}

// Detacher is a Host that can hand a job to the host, detached from this berth: once
// started, the host finishes it (or rolls it back) even if berth is killed, interrupted or
// cut off. Detach returns the job's own outcome; when berth loses the host before the job
// ends, it returns an error that says the host carries on.
type Detacher interface {
	CanDetach() bool
	Detach(ctx context.Context, job Job) error
}
