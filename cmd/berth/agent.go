package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/provisioner/agent"
	"github.com/berth-dev/berth/provisioner/conn"
)

// checkWord is what `berth agent --check` prints: the install script runs it to learn
// whether the uploaded binary can execute where it was put (noexec mounts, wrong arch).
const checkWord = "berth-agent-ok"

func init() {
	register(&command{
		name:    "agent",
		summary: "serve the agent protocol on stdin/stdout (started on hosts by berth itself; see docs/agent.md)",
		setup: func(fs *flag.FlagSet) action {
			check := fs.Bool("check", false, "print "+checkWord+" and exit (can this binary run here?)")
			job := fs.String("job", "", "carry out the job in `FILE` (started by the agent itself, detached)")
			return func(e *env, _ invocation) int {
				if *job != "" {
					if err := agent.RunJobFile(*job); err != nil {
						fmt.Fprintf(e.stderr, "error: %v\n", err)
						return exitError
					}
					return exitOK
				}
				return runAgent(e, *check)
			}
		},
	})
}

func runAgent(e *env, check bool) int {
	if check {
		fmt.Fprintln(e.stdout, checkWord)
		return exitOK
	}
	syscall.Umask(0o022) // as a login shell has it; writes set their own modes
	if err := agent.ServeProcess(e.stdin, e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "error: %v\n", err)
		return exitError
	}
	return exitOK
}

// agentNotices is where the fallback warnings of dialHost go: dialHost has no env, and a
// warning must reach the user even when the command's own output is JSON on stdout.
var agentNotices io.Writer = &lockedWriter{w: os.Stderr}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// useAgent makes c serve through the berth agent unless the host's transport is "ssh" or
// BERTH_AGENT=0 is set (a quick way to rule the agent out while debugging).
func useAgent(c *conn.SSH, h *inventory.Host) {
	if h.SSH.Transport == "ssh" || os.Getenv("BERTH_AGENT") == "0" {
		return
	}
	c.UseAgent(conn.AgentOptions{
		Binary: conn.AgentBinary,
		Warn:   func(msg string) { fmt.Fprintf(agentNotices, "warning: %s\n", msg) },
	})
}

// agentStats describes the agent of a connection for --stats: "agent (peak RSS 9.1 MB, host
// CPU 2.1ms + 0.8ms in commands)"
// or "plain ssh (why)".
func agentStats(c *conn.SSH) string {
	st := c.AgentStatus()
	if st.Active {
		installed := ""
		if st.Installed {
			installed = ", uploaded now"
		}
		return fmt.Sprintf("agent (peak RSS %.1f MB, host CPU %s + %s in commands%s)", float64(st.PeakRSS)/1e6,
			st.CPU.Round(100*time.Microsecond), st.CommandCPU.Round(100*time.Microsecond), installed)
	}
	if st.Reason == "" {
		return "plain ssh"
	}
	return "plain ssh (" + st.Reason + ")"
}
