// Package hosttest provides a fake modules.Host for unit tests of resources and of the engine:
// an in-memory file system plus command handlers, recording everything that was run or
// written so tests can assert on what a resource sent to the host (like net/http/httptest).
// It is for pure logic only; real behaviour is proven against the test bed's hosts.
package hosttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/berth-dev/berth/modules"
)

// File is a file or directory of the fake host.
type File struct {
	Data  []byte
	Mode  fs.FileMode
	Owner string
	Group string
	Dir   bool
}

// Handler answers a command. stdin is what the caller streamed.
type Handler func(argv []string, stdin []byte) modules.Result

type handler struct {
	prefix string
	fn     Handler
}

// Fake is an in-memory host. The zero value is not usable: call New.
type Fake struct {
	mu       sync.Mutex
	name     string
	Files    map[string]*File
	handlers []handler
	// Ran lists every command run through Run, as quoted command lines, in order.
	Ran []string
	// Stdins holds the stdin of each command in Ran (nil when none).
	Stdins [][]byte
	// Written lists every WriteFile, in order (a WriteFiles batch adds each of its files).
	Written []modules.FileWrite
	// Batches lists the number of files of every WriteFiles call, in order.
	Batches []int
	// Observed counts Observe calls (round trips).
	Observed int
	// WriteErr, when set, is asked before each WriteFile; an error fails the write and
	// leaves the file as it was (a full disk, a cut connection).
	WriteErr func(w modules.FileWrite) error
}

var (
	_ modules.Host        = (*Fake)(nil)
	_ modules.BatchWriter = (*Fake)(nil)
)

// New returns an empty fake host named name.
func New(name string) *Fake {
	return &Fake{name: name, Files: map[string]*File{}}
}

// Name implements modules.Host.
func (f *Fake) Name() string { return f.name }

// Handle registers fn for commands whose quoted command line starts with prefix. Later
// registrations win over earlier ones, so a test can override a default.
func (f *Fake) Handle(prefix string, fn Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers = append(f.handlers, handler{prefix: prefix, fn: fn})
}

// Reply registers a fixed answer for commands starting with prefix.
func (f *Fake) Reply(prefix string, stdout string, exit int) {
	f.Handle(prefix, func([]string, []byte) modules.Result {
		return modules.Result{Stdout: []byte(stdout), ExitCode: exit}
	})
}

// SetFile puts a file on the fake host.
func (f *Fake) SetFile(path, content string, mode fs.FileMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Files[path] = &File{Data: []byte(content), Mode: mode, Owner: "root", Group: "root"}
}

// Run implements modules.Host. Unknown commands exit 127, like a shell.
func (f *Fake) Run(ctx context.Context, cmd modules.Command) (modules.Result, error) {
	if err := ctx.Err(); err != nil {
		return modules.Result{}, err
	}
	var stdin []byte
	if cmd.Stdin != nil {
		b, err := io.ReadAll(cmd.Stdin)
		if err != nil {
			return modules.Result{}, err
		}
		stdin = b
	}
	line := modules.QuoteArgv(cmd.Argv)
	f.mu.Lock()
	f.Ran = append(f.Ran, line)
	f.Stdins = append(f.Stdins, stdin)
	f.mu.Unlock()
	return f.answer(cmd.Argv, stdin), nil
}

func (f *Fake) answer(argv []string, stdin []byte) modules.Result {
	line := modules.QuoteArgv(argv)
	f.mu.Lock()
	var fn Handler
	for i := len(f.handlers) - 1; i >= 0; i-- {
		if strings.HasPrefix(line, f.handlers[i].prefix) {
			fn = f.handlers[i].fn
			break
		}
	}
	f.mu.Unlock()
	if fn == nil {
		return modules.Result{Stderr: []byte("fake: command not found: " + line), ExitCode: 127}
	}
	return fn(argv, stdin)
}

// Observe implements modules.Host from the fake's files and handlers.
func (f *Fake) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.Observed++
	f.mu.Unlock()
	out := make([]modules.ProbeResult, len(probes))
	for i, p := range probes {
		if p.Path != "" {
			out[i] = f.stat(p)
			continue
		}
		r := f.answer(p.Argv, nil)
		out[i] = modules.ProbeResult{Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: r.ExitCode, Missing: r.ExitCode == 127}
	}
	return out, nil
}

func (f *Fake) stat(p modules.Probe) modules.ProbeResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	file, ok := f.Files[p.Path]
	if !ok {
		return modules.ProbeResult{}
	}
	r := modules.ProbeResult{Exists: true, IsDir: file.Dir, Mode: file.Mode, Owner: file.Owner, Group: file.Group}
	if !file.Dir {
		sum := sha256.Sum256(file.Data)
		r.SHA256 = hex.EncodeToString(sum[:])
		r.Size = int64(len(file.Data))
		if p.Content {
			r.Data = append([]byte(nil), file.Data...)
		}
	}
	return r
}

// WriteFile implements modules.Host.
func (f *Fake) WriteFile(ctx context.Context, w modules.FileWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.WriteErr != nil {
		if err := f.WriteErr(w); err != nil {
			return err
		}
	}
	owner, group := w.Owner, w.Group
	if owner == "" {
		owner = "root"
	}
	if group == "" {
		group = "root"
	}
	f.Files[w.Path] = &File{Data: append([]byte(nil), w.Content...), Mode: w.Mode, Owner: owner, Group: group}
	f.Written = append(f.Written, w)
	return nil
}

// WriteFiles implements modules.BatchWriter: WriteFile for each, in order, stopping at
// the first failure.
func (f *Fake) WriteFiles(ctx context.Context, ws []modules.FileWrite) (int, error) {
	f.mu.Lock()
	f.Batches = append(f.Batches, len(ws))
	f.mu.Unlock()
	for i, w := range ws {
		if err := f.WriteFile(ctx, w); err != nil {
			return i, fmt.Errorf("write %s on %s: %w", w.Path, f.name, err)
		}
	}
	return len(ws), nil
}

// Paths returns the fake's file paths, sorted.
func (f *Fake) Paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps := make([]string, 0, len(f.Files))
	for p := range f.Files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}
