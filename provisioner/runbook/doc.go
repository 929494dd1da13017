// Package runbook runs a runbook of the inventory: ordered steps (apply, exec, wait, confirm,
// balancer, service), each recorded in an append-only journal so that a stopped run can be
// resumed at the step that failed and an auditor can read who ran what, when, and what it
// printed.
//
// Guarantees:
//   - Steps run in declaration order, one at a time; the first failure stops the run and
//     nothing after it runs.
//   - Every step start, end, failure and confirmation is one JSON line of the journal, written
//     with fsync before the next action starts: a crash (even kill -9) leaves a journal that
//     says which steps finished, and the next run resumes at the first step not finished.
//   - A series of runs is the last run started for every step and the runs after it; a step
//     done by any run of the series is done for all of them and is not run again unless the
//     caller asks (From, Only, New). decide is the one place that chooses what a run does;
//     the resume hints of stop messages and status are computed from it.
//   - Undo runs the undo blocks of finished steps (of the series, or of one run) in reverse
//     order, each once.
//   - The locks a run releases are journaled: status names only locks really left.
//   - A dry run takes no lock, writes no journal and runs no command that changes a host: it
//     shows each apply step's plan (observation only) and every command the other steps would
//     run.
//   - The host locks of every host the runbook touches are taken before the first step and
//     held to the end; apply steps run with the engine's own locking turned off.
//   - Env-file contents never reach the journal (apply output is the rendered plan, which
//     redacts them); step output and errors are masked line by line with Runner.Mask
//     (every env_file value and sensitive variable) on the terminal and in the journal.
package runbook
