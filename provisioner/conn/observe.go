package conn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// MaxProbeContent caps the bytes a content probe returns; a bigger file is an error rather
// than a silently truncated observation.
const MaxProbeContent = 4 << 20

// observePrelude defines the two probe functions. It needs POSIX sh and coreutils only
// (stat, sha256sum, base64, head, mktemp). Each probe prints framed records:
//
//	@@berth I path 0                         absent
//	@@berth I path 1 ISDIR MODE OWNER GROUP SIZE SHA256|-
//	@@berth I data / toolarge               then base64 lines of the content
//	@@berth I cmd RC, @@berth I stdout, @@berth I stderr   then base64 lines each
//
// and the script ends with "@@berth end", so a cut stream is never taken for a full answer.
const observePrelude = `umask 077
berth_t=$(mktemp -d) || exit 125
trap 'rm -rf -- "$berth_t"' EXIT
berth_path() {
  if [ ! -e "$2" ]; then echo "@@berth $1 path 0"; return; fi
  berth_d=0; [ -d "$2" ] && berth_d=1
  berth_m=$(stat -L -c '%a %U %G %s' -- "$2") || { echo "@@berth $1 error stat"; return; }
  berth_h=-
  if [ -f "$2" ]; then berth_h=$(sha256sum < "$2") && berth_h=${berth_h%% *} || berth_h=-; fi
  echo "@@berth $1 path 1 $berth_d $berth_m $berth_h"
  [ "$3" = 1 ] && [ -f "$2" ] || return 0
  if [ "$(head -c $(($4 + 1)) < "$2" | wc -c)" -gt "$4" ]; then echo "@@berth $1 toolarge"; return; fi
  echo "@@berth $1 data"; base64 < "$2"
}
berth_cmd() {
  berth_i=$1; shift
  "$@" </dev/null >"$berth_t/o" 2>"$berth_t/e"; berth_rc=$?
  echo "@@berth $berth_i cmd $berth_rc"
  echo "@@berth $berth_i stdout"; base64 < "$berth_t/o"
  echo "@@berth $berth_i stderr"; base64 < "$berth_t/e"
}
`

// ObserveScript is the shell script that runs probes; exported for tests and debugging.
func ObserveScript(probes []modules.Probe) string {
	var b strings.Builder
	b.WriteString(observePrelude)
	for i, p := range probes {
		if p.Path != "" {
			content := "0"
			if p.Content {
				content = "1"
			}
			fmt.Fprintf(&b, "berth_path %d %s %s %d\n", i, modules.Quote(p.Path), content, MaxProbeContent)
		} else {
			fmt.Fprintf(&b, "berth_cmd %d %s\n", i, modules.QuoteArgv(p.Argv))
		}
	}
	b.WriteString("echo '@@berth end'\n")
	return b.String()
}

// Observe implements modules.Host: all probes in one round trip. The script goes on stdin
// to `sh -s` (through `sudo -n --` with become), never on the command line.
func (r *runner) Observe(ctx context.Context, probes []modules.Probe) ([]modules.ProbeResult, error) {
	for i, p := range probes {
		if (p.Path == "") == (len(p.Argv) == 0) {
			return nil, fmt.Errorf("observe on %s: probe %d needs exactly one of Path and Argv", r.name, i)
		}
	}
	res, err := r.runLine(ctx, r.commandLine([]string{"sh", "-s"}, false), "probes", strings.NewReader(ObserveScript(probes)), nil, true)
	if err != nil {
		return nil, fmt.Errorf("observe: %w", err)
	}
	out, err := ParseObserve(res.Stdout, probes)
	if err != nil {
		return nil, fmt.Errorf("observe on %s: %w (exit %d, stderr: %s)", r.name, err, res.ExitCode, firstLine(res.Stderr))
	}
	return out, nil
}

// ParseObserve reads the framed output of ObserveScript.
func ParseObserve(out []byte, probes []modules.Probe) ([]modules.ProbeResult, error) {
	res := make([]modules.ProbeResult, len(probes))
	var data *bytes.Buffer
	var target *[]byte
	finish := func() error {
		if target == nil {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(data.String())
		*target, target = b, nil
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	ended := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "@@berth ") {
			if target == nil {
				return nil, fmt.Errorf("unexpected output %q", line)
			}
			data.WriteString(line)
			continue
		}
		if err := finish(); err != nil {
			return nil, err
		}
		f := strings.Fields(line)[1:]
		if len(f) == 1 && f[0] == "end" {
			ended = true
			break
		}
		i, err := strconv.Atoi(f[0])
		if err != nil || i < 0 || i >= len(res) || len(f) < 2 {
			return nil, fmt.Errorf("bad record %q", line)
		}
		data = &bytes.Buffer{}
		if target, err = applyRecord(&res[i], probes[i], f[1:]); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !ended {
		return nil, fmt.Errorf("probe output ended early")
	}
	return res, nil
}

// applyRecord fills r from one record and returns where following base64 lines go, if any.
func applyRecord(r *modules.ProbeResult, p modules.Probe, f []string) (*[]byte, error) {
	switch f[0] {
	case "path":
		return nil, parsePathRecord(r, f[1:])
	case "data":
		return &r.Data, nil
	case "stdout":
		return &r.Stdout, nil
	case "stderr":
		return &r.Stderr, nil
	case "cmd":
		if len(f) != 2 {
			return nil, fmt.Errorf("bad cmd record %q", f)
		}
		code, err := strconv.Atoi(f[1])
		r.ExitCode, r.Missing = code, code == 127
		return nil, err
	case "toolarge":
		return nil, fmt.Errorf("%s is larger than %d bytes, too large to observe", p.Path, MaxProbeContent)
	case "error":
		return nil, fmt.Errorf("cannot %s %s", strings.Join(f[1:], " "), p.Path)
	}
	return nil, fmt.Errorf("unknown record %q", f)
}

func parsePathRecord(r *modules.ProbeResult, f []string) error {
	if len(f) == 1 && f[0] == "0" {
		return nil
	}
	if len(f) != 7 || f[0] != "1" {
		return fmt.Errorf("bad path record %q", f)
	}
	mode, err1 := strconv.ParseUint(f[2], 8, 32)
	size, err2 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad path record %q", f)
	}
	r.Exists, r.IsDir = true, f[1] == "1"
	r.Mode, r.Owner, r.Group, r.Size = fs.FileMode(mode)&fs.ModePerm, f[3], f[4], size
	if f[6] != "-" {
		r.SHA256 = f[6]
	}
	return nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if s == "" {
		return "(none)"
	}
	return s
}
