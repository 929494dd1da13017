package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/agent"
)

// agentRun runs a command through the agent; stdin is nil or a small in-memory reader.
func (s *SSH) agentRun(ctx context.Context, cmd modules.Command, stdin io.Reader) (modules.Result, error) {
	run := &agent.Run{Argv: cmd.Argv, Stream: cmd.Stream != nil}
	if stdin != nil {
		run.Stdin, _ = io.ReadAll(stdin) // in memory: inlineStdin read it
		if run.Stdin == nil {
			run.Stdin = []byte{}
		}
	}
	var out, errb bytes.Buffer
	var lw *lineWriters
	var onOut func(agent.Output)
	if cmd.Stream != nil {
		lw = &lineWriters{fn: cmd.Stream}
		onOut = func(o agent.Output) {
			if o.Stream == "stderr" {
				errb.Write(o.Data)
			} else {
				out.Write(o.Data)
			}
			lw.writer(o.Stream).Write(o.Data)
		}
	}
	r, ok, err := s.agentDo(ctx, &agent.Request{Op: agent.OpRun, Run: run}, onOut)
	if !ok {
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(run.Stdin)
		}
		return s.runner.Run(ctx, cmd)
	}
	if lw != nil {
		lw.flush()
	}
	if err == nil && r.Error != "" {
		err = errors.New(r.Error)
	}
	if err == nil && r.Run == nil {
		err = errors.New("agent answered without a result")
	}
	if err != nil {
		return modules.Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: -1}, fmt.Errorf("run %s on %s: %w", cmd.Argv[0], s.name, err)
	}
	if cmd.Stream == nil {
		out.Write(r.Run.Stdout)
		errb.Write(r.Run.Stderr)
	}
	return modules.Result{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: r.Run.ExitCode}, nil
}
