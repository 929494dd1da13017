package agent

import (
	"io/fs"

	"github.com/berth-dev/berth/modules"
)

// Version is the protocol version; client and agent must agree exactly. Bump it on any
// change of the messages' meaning.
const Version = 4

// MaxContent caps the bytes a content probe returns (same cap as the SSH transport).
const MaxContent = 4 << 20

// MaxLine caps one protocol line, so a broken peer cannot make the other side buffer
// without bound. It bounds inline stdin and file content (base64 inside JSON).
const MaxLine = 256 << 20

// Operations of a Request.
const (
	OpHello   = "hello"   // Version -> Hello
	OpObserve = "observe" // Probes -> Results
	OpRun     = "run"     // Run -> Output events, then RunResult
	OpWrites  = "writes"  // Writes, in order until one fails -> Done
	OpCancel  = "cancel"  // Target: ends that request (its final answer says "cancelled")
	OpJournal = "journal" // Entry: appended to the run's journal on the host -> nothing
	OpJob     = "job"     // Job: carried out by the host on its own -> journal events, then JobEnd
	OpLock    = "lock"    // Lock: the host lock taken, in order with what follows -> LockAnswer
	OpUnlock  = "unlock"  // Lock: the host lock released if it holds Token -> LockAnswer
	OpBye     = "bye"     // the agent answers, then exits
)

// Request is one line from berth to the agent.
type Request struct {
	ID      uint64   `json:"id"`
	Op      string   `json:"op"`
	Version int      `json:"version,omitempty"`
	Probes  []Probe  `json:"probes,omitempty"`
	Run     *Run     `json:"run,omitempty"`
	Writes  []*Write `json:"writes,omitempty"`
	Target  uint64   `json:"target,omitempty"`
	Entry   *Entry   `json:"entry,omitempty"`
	Job     *Job     `json:"job,omitempty"`
	Lock    *Lock    `json:"lock,omitempty"`
}

// Response is one line from the agent to berth. A response with Out set is an event of a
// running request; any other is the request's final answer.
type Response struct {
	ID      uint64        `json:"id"`
	Out     *Output       `json:"out,omitempty"`
	Error   string        `json:"error,omitempty"`
	Hello   *Hello        `json:"hello,omitempty"`
	Results []ProbeResult `json:"results,omitempty"`
	Run     *RunResult    `json:"run,omitempty"`
	Job     *JobEnd       `json:"job,omitempty"`
	Lock    *LockAnswer   `json:"lock,omitempty"`
	// Done is how many files of a writes request were written (all of them, or those
	// before the one Error is about).
	Done int `json:"done,omitempty"`
	// PeakRSS is the agent's peak resident set in bytes, on final answers.
	PeakRSS int64 `json:"peak_rss,omitempty"`
	// CPU and ChildCPU are the agent's CPU time and its commands', in microseconds, on
	// final answers (see CPU).
	CPU      int64 `json:"cpu_us,omitempty"`
	ChildCPU int64 `json:"child_cpu_us,omitempty"`
}

// Hello is the agent's answer to hello.
type Hello struct {
	Version int    `json:"version"`
	PID     int    `json:"pid"`
	UID     int    `json:"uid"`
	Exe     string `json:"exe"` // the binary serving, from /proc/self/exe
}

// Probe is modules.Probe on the wire.
type Probe struct {
	Path    string   `json:"path,omitempty"`
	Content bool     `json:"content,omitempty"`
	Argv    []string `json:"argv,omitempty"`
}

// ProbeResult is modules.ProbeResult on the wire.
type ProbeResult struct {
	Exists   bool   `json:"exists,omitempty"`
	IsDir    bool   `json:"dir,omitempty"`
	Mode     uint32 `json:"mode,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Group    string `json:"group,omitempty"`
	Size     int64  `json:"size,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Data     []byte `json:"data,omitempty"`
	Stdout   []byte `json:"stdout,omitempty"`
	Stderr   []byte `json:"stderr,omitempty"`
	ExitCode int    `json:"exit,omitempty"`
	Missing  bool   `json:"missing,omitempty"`
}

// Run is a command to run. Stdin is sent whole (the client sends big inputs over a plain
// SSH session instead); Stream asks for Output events as output arrives.
type Run struct {
	Argv   []string `json:"argv"`
	Stdin  []byte   `json:"stdin,omitempty"`
	Stream bool     `json:"stream,omitempty"`
}

// Output is a chunk of a streaming command's output. A streamed command's RunResult has
// no Stdout/Stderr: the chunks were its output.
type Output struct {
	Stream string `json:"stream"` // "stdout" or "stderr"
	Data   []byte `json:"data"`
}

// RunResult is how a command ended.
type RunResult struct {
	Stdout   []byte `json:"stdout,omitempty"`
	Stderr   []byte `json:"stderr,omitempty"`
	ExitCode int    `json:"exit"`
}

// Write is modules.FileWrite on the wire, with the content's SHA-256 (hex) for the
// agent to verify before the rename.
type Write struct {
	Path         string `json:"path"`
	Content      []byte `json:"content,omitempty"`
	SHA256       string `json:"sha256"`
	Mode         uint32 `json:"mode"`
	Owner        string `json:"owner,omitempty"`
	Group        string `json:"group,omitempty"`
	MkdirParents bool   `json:"mkdir,omitempty"`
}

// ProbesFrom converts probes for the wire.
func ProbesFrom(ps []modules.Probe) []Probe {
	out := make([]Probe, len(ps))
	for i, p := range ps {
		out[i] = Probe{Path: p.Path, Content: p.Content, Argv: p.Argv}
	}
	return out
}

// Module converts a wire result back.
func (r ProbeResult) Module() modules.ProbeResult {
	return modules.ProbeResult{Exists: r.Exists, IsDir: r.IsDir, Mode: fs.FileMode(r.Mode) & fs.ModePerm,
		Owner: r.Owner, Group: r.Group, Size: r.Size, SHA256: r.SHA256, Data: r.Data,
		Stdout: r.Stdout, Stderr: r.Stderr, ExitCode: r.ExitCode, Missing: r.Missing}
}
