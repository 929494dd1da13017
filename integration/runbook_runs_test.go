package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Runs of a runbook through the real CLI on one host: --from and --only start new runs and a
// plain run never replays what any run did; undo --run reaches an older run; stop, Ctrl-C and
// status print the same resume command; answers given by --yes are journaled as such; and no
// env_file value or sensitive variable printed by a step or by berth exec reaches any output
// or journal.

const (
	rbEnvCanary = "canary-rbenv-Ht51-never-print"
	rbVarCanary = "canary-rbvar-Zp08-never-print"
	rbShortPin  = "SHORT_PIN=q7z" // shorter than secret.MinLen: masked after its name only
)

const runbookRunsHCL = `
variable "token" {
  sensitive = true
  default   = "` + rbVarCanary + `"
}

file "/etc/berth-rb-canary" {
  hosts   = "h1"
  content = var.token
  mode    = "0600"
}

stack "vault" {
  compose  = "stacks/vault"
  env_file = "vault.env"
  place {
    hosts = "h1"
  }
}

runbook "rb" {
  step "deploy" {
    kind    = "apply"
    hosts   = "h1"
    targets = ["stack.vault", "file./etc/berth-rb-canary"]
    timeout = "10m"
  }
  step "one" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "echo one >> /tmp/rb-log"]
    undo {
      kind    = "exec"
      command = ["sh", "-c", "echo undo-one >> /tmp/rb-log"]
    }
  }
  step "leak" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "cat /srv/berth/vault/.env; docker inspect --format '{{json .Config.Env}}' $(docker ps -q --filter label=com.docker.compose.project=vault); cat /etc/berth-rb-canary; echo; cat /srv/berth/vault/.env >&2; echo plain-output-kept"]
  }
  step "two" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "echo two >> /tmp/rb-log"]
    undo {
      kind    = "exec"
      command = ["sh", "-c", "echo undo-two >> /tmp/rb-log"]
    }
  }
  step "gate" {
    kind     = "wait"
    hosts    = "h1"
    command  = ["sh", "-c", "test -e /tmp/rb-go || { cat /srv/berth/vault/.env; exit 1; }"]
    interval = "1s"
    timeout  = "3s"
  }
  step "three" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "echo three >> /tmp/rb-log"]
  }
  step "slow" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "sleep 4; echo slow >> /tmp/rb-log"]
  }
  step "four" {
    kind    = "exec"
    hosts   = "h1"
    command = ["sh", "-c", "echo four >> /tmp/rb-log"]
  }
}
`

const vaultCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "exec httpd -f -p 8080 -h /tmp"]
    environment:
      TOKEN: ${TOKEN}
      SHORT_PIN: ${SHORT_PIN}
    stop_grace_period: 1s
`

func TestRunbookRuns(t *testing.T) {
	bed := startBed(t, "bookworm-docker:1+registry")
	h1 := bed.Host("h1")
	dir := filepath.Join(t.TempDir(), "inv")
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "main.hcl"), runbookRunsHCL)
	writeFile(t, filepath.Join(dir, "vault.env"), "TOKEN="+rbEnvCanary+"\n"+rbShortPin+"\n")
	os.MkdirAll(filepath.Join(dir, "stacks", "vault"), 0o755)
	writeFile(t, filepath.Join(dir, "stacks", "vault", "compose.yaml"), strings.ReplaceAll(vaultCompose, "IMAGE", bed.Registry.Image))
	journals := filepath.Join(dir, ".berth", "runs", "rb")
	var printed []string // everything berth printed, for the canary check
	berthRun := func(timeout time.Duration, args ...string) berthResult {
		t.Helper()
		r := runBerth(t, timeout, args...)
		printed = append(printed, r.Stdout, r.Stderr)
		return r
	}
	log := func() string { return strings.Join(strings.Fields(hostOutAllowFail(h1, "cat", "/tmp/rb-log")), " ") }
	resume := "berth runbook run rb " + dir

	t.Run("a run stopped by a failed step prints the resume command status prints", func(t *testing.T) {
		r := berthRun(15*time.Minute, "runbook", "run", "rb", dir, "--yes", "--no-color")
		r.wantCode(t, 1)
		if want := "To resume it at step gate: " + resume + "\n"; !strings.Contains(r.Stdout, want) {
			t.Errorf("stop message lacks %q:\n%s", want, r.Stdout)
		}
		st := berthRun(time.Minute, "runbook", "status", "rb", dir)
		if !strings.Contains(st.Stdout, "unfinished, resumes at gate") || !strings.Contains(st.Stdout, " at step gate: "+resume+"\n") {
			t.Errorf("status disagrees with the stop message:\n%s", st.Stdout)
		}
		if strings.Contains(st.Stdout, "berth unlock") {
			t.Errorf("status suggests berth unlock after a run that released its locks:\n%s", st.Stdout)
		}
		if !strings.Contains(r.Stdout, "plain-output-kept") || !strings.Contains(r.Stdout, "SHORT_PIN=(sensitive)") {
			t.Errorf("the leak step's output is missing or not masked as expected:\n%s", r.Stdout)
		}
	})

	t.Run("--from, then a plain run: nothing replays", func(t *testing.T) {
		hostOut(t, h1, "touch", "/tmp/rb-go")
		r := berthRun(5*time.Minute, "runbook", "run", "rb", dir, "--from", "two", "--yes", "--no-color")
		r.wantCode(t, 0)
		if !strings.Contains(r.Stdout, "every step of runbook rb is done") {
			t.Errorf("--from two does not say every step is done:\n%s", r.Stdout)
		}
		before := log()
		p := berthRun(5*time.Minute, "runbook", "run", "rb", dir, "--yes", "--no-color")
		if p.Code != 1 || !strings.Contains(p.Stderr, "every step of runbook rb is done") {
			t.Errorf("plain run after --from: exit %d\n%s\n%s", p.Code, p.Stdout, p.Stderr)
		}
		if after := log(); after != before || before != "one two two three slow four" {
			t.Errorf("host log %q before, %q after the plain run", before, after)
		}
		st := berthRun(time.Minute, "runbook", "status", "rb", dir)
		if !strings.Contains(st.Stdout, "Runbook rb: finished") || strings.Contains(st.Stdout, "resumes at") {
			t.Errorf("status after --from:\n%s", st.Stdout)
		}
	})

	t.Run("--only starts a new run; undo --run reaches the first run", func(t *testing.T) {
		berthRun(5*time.Minute, "runbook", "run", "rb", dir, "--only", "one", "--yes", "--no-color").wantCode(t, 0)
		runs := runIDs(t, journals)
		if len(runs) != 3 {
			t.Fatalf("%d runs after --only, want 3: %v", len(runs), runs)
		}
		berthRun(5*time.Minute, "runbook", "undo", "rb", dir, "--run", runs[0], "--yes", "--no-color").wantCode(t, 0)
		if got := log(); !strings.HasSuffix(got, "one undo-two undo-one") {
			t.Errorf("host log after undo --run %s: %q", runs[0], got)
		}
		all := berthRun(time.Minute, "runbook", "status", "rb", dir, "--all")
		for _, id := range runs {
			if !strings.Contains(all.Stdout, id) {
				t.Errorf("status --all does not list %s:\n%s", id, all.Stdout)
			}
		}
	})

	t.Run("Ctrl-C lets the step finish, stops the run and names the resume command", func(t *testing.T) {
		r := runbookSignals(t, dir, "] slow (", 1, "--new")
		printed = append(printed, r.Stdout, r.Stderr)
		if r.Code != 1 || !strings.Contains(r.Stderr, "Ctrl-C: step slow finishes, then the run stops") {
			t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		if want := "stopped before step four (Ctrl-C).\nTo resume it at step four: " + resume + "\n"; !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
		if !strings.HasSuffix(log(), "three slow") {
			t.Errorf("slow did not finish: %q", log())
		}
		st := berthRun(time.Minute, "runbook", "status", "rb", dir)
		if !strings.Contains(st.Stdout, "resumes at four") || !strings.Contains(st.Stdout, " at step four: "+resume+"\n") {
			t.Errorf("status:\n%s", st.Stdout)
		}
		berthRun(5*time.Minute, "runbook", "run", "rb", dir, "--yes", "--no-color").wantCode(t, 0)
		if !strings.HasSuffix(log(), "slow four") {
			t.Errorf("resume did not run four alone: %q", log())
		}
		resumed := false
		ids := runIDs(t, journals) // the resumed run is the newest
		for _, rec := range readJournalFile(t, filepath.Join(journals, ids[len(ids)-1]+".jsonl")) {
			if rec["type"] == "run.resumed" {
				resumed = true
				if rec["answer"] != "--yes" || !strings.HasSuffix(rec["who"].(string), "(--yes)") {
					t.Errorf("the resume answered by --yes is journaled as %v by %v", rec["answer"], rec["who"])
				}
			}
		}
		if !resumed {
			t.Error("no run.resumed record")
		}
	})

	t.Run("a second Ctrl-C aborts the step and names the resume command", func(t *testing.T) {
		r := runbookSignals(t, dir, "] slow (", 2, "--from", "slow")
		printed = append(printed, r.Stdout, r.Stderr)
		if r.Code != 1 || !strings.Contains(r.Stderr, "second Ctrl-C: aborting step slow") || !strings.Contains(r.Stderr, "To resume it at step slow: "+resume+"\n") {
			t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
		}
		if !strings.Contains(r.Stdout, "To resume it at step slow: "+resume+"\n") {
			t.Errorf("stdout:\n%s", r.Stdout)
		}
		st := berthRun(time.Minute, "runbook", "status", "rb", dir)
		if !strings.Contains(st.Stdout, "resumes at slow") || !strings.Contains(st.Stdout, " at step slow: "+resume+"\n") {
			t.Errorf("status:\n%s", st.Stdout)
		}
	})

	t.Run("no env_file value or sensitive variable in any output or journal", func(t *testing.T) {
		cmd := "cat /srv/berth/vault/.env; cat /srv/berth/vault/.env >&2; cat /etc/berth-rb-canary; echo; echo plain-output-kept"
		for _, jsonOut := range []bool{false, true} {
			args := []string{"exec", dir, "-l", "h1"}
			if jsonOut {
				args = append(args, "--json")
			}
			r := berthRun(2*time.Minute, append(args, "--", "sh", "-c", cmd)...)
			r.wantCode(t, 0)
			if !strings.Contains(r.Stdout, "plain-output-kept") || !strings.Contains(r.Stdout+r.Stderr, "TOKEN=(sensitive)") {
				t.Errorf("berth exec (json %v) output:\n%s\n%s", jsonOut, r.Stdout, r.Stderr)
			}
		}
		files, _ := filepath.Glob(filepath.Join(journals, "*.jsonl"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			printed = append(printed, string(b))
		}
		printed = append(printed, hostOutAllowFail(h1, "sh", "-c", "cat /var/lib/berth/runs/rb/*.json"))
		all := strings.Join(printed, "\n")
		for _, c := range []string{rbEnvCanary, rbVarCanary, rbShortPin} {
			if strings.Contains(all, c) {
				t.Errorf("%q was printed or journaled: ...%s...", c, excerpt(all, c))
			}
		}
		if !strings.Contains(all, "TOKEN=(sensitive)") {
			t.Error("the test proves nothing: no masked value was printed")
		}
	})
}

// runbookSignals runs `berth runbook run rb DIR --yes ARGS...` and sends SIGINT n times
// (a second apart) once a stdout line contains marker.
func runbookSignals(t *testing.T, dir, marker string, n int, args ...string) berthResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBinary(t), append([]string{"runbook", "run", "rb", dir, "--yes", "--no-color"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "TERM=dumb"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	fired := false
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		if !fired && strings.Contains(sc.Text(), marker) {
			fired = true
			go func() {
				for i := 0; i < n; i++ {
					time.Sleep(time.Second)
					cmd.Process.Signal(syscall.SIGINT)
				}
			}()
		}
	}
	err = cmd.Wait()
	r := berthResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	}
	if !fired {
		t.Fatalf("%q never came:\n%s\n%s", marker, r.Stdout, r.Stderr)
	}
	return r
}

// runIDs lists the runs of a runbook's journal directory, oldest first.
func runIDs(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	var ids []string
	for _, f := range files {
		ids = append(ids, strings.TrimSuffix(filepath.Base(f), ".jsonl"))
	}
	return ids
}

func readJournalFile(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("journal line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
