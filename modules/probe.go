package modules

import "io/fs"

// Probe is one observation a resource needs: a file (metadata, SHA-256, optionally its
// content) or a read-only command. Resources return probes as data so that the transport
// can run a whole host's observation as one batch: one round trip through the agent, or one
// generated shell script over plain SSH.
type Probe struct {
	// Path probes a file or directory.
	Path string
	// Content also returns the file's bytes (capped by the transport at a few MiB).
	Content bool
	// Argv probes a command's output; it must not change the host.
	Argv []string
}

// ProbeResult is what a probe observed.
type ProbeResult struct {
	// For Path probes.
	Exists bool
	IsDir  bool
	Mode   fs.FileMode // permission bits
	Owner  string
	Group  string
	Size   int64
	SHA256 string // hex, files only
	Data   []byte // when Content was asked

	// For Argv probes.
	Stdout   []byte
	Stderr   []byte
	ExitCode int
	// Missing is true when the command was not found (exit 127).
	Missing bool
}

// FileProbe probes a path's metadata and hash.
func FileProbe(path string) Probe { return Probe{Path: path} }

// ContentProbe probes a path's metadata, hash and content.
func ContentProbe(path string) Probe { return Probe{Path: path, Content: true} }

// CmdProbe probes a read-only command.
func CmdProbe(argv ...string) Probe { return Probe{Argv: argv} }
