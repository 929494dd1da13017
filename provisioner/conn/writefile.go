package conn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/modules"
)

// writeScript replaces files atomically and privately, in order, stopping at the first
// failure. It runs as `sh -c SCRIPT sh ARGS` (through `sudo -n --` with become), so it works
// when the SSH user is not root and the destination is root-owned. Only paths, modes and
// owners are on the command line, seven arguments per file; stdin carries, for each file in
// turn, a line with its size and SHA-256, then its content. Steps for each file:
//
//  1. remove stale temp files of this destination (.berth-tmp-NAME.*) left by a cut write;
//  2. mktemp in the destination directory: created 0600, owned by the writer;
//  3. copy exactly SIZE bytes of stdin into it (head -c never reads past them), then check
//     size and SHA-256 on the host;
//  4. chown, then chmod (chown may clear set-id bits), then rename over the destination,
//     and say so on stdout ("@@berth wrote N"), so berth knows how far a failed batch got.
//
// A write cut at any point leaves the old file untouched; the temp file is removed by the
// EXIT trap, or by step 1 of the next write when the shell was killed.
const writeScript = `set -eu
umask 077
t= n=0
trap '[ -z "$t" ] || rm -f -- "$t"' EXIT
trap 'exit 129' HUP INT TERM PIPE
while [ $# -ge 7 ]; do
p=$1 d=$2 b=$3 mode=$4 owner=$5 group=$6 mk=$7
shift 7
IFS=' ' read -r size sum
if [ "$mk" = 1 ] && [ ! -d "$d" ]; then (umask 022 && mkdir -p -- "$d"); fi
for f in "$d/.berth-tmp-$b".*; do if [ -e "$f" ]; then rm -f -- "$f"; fi; done
t=$(mktemp -- "$d/.berth-tmp-$b.XXXXXX")
head -c "$size" > "$t"
got=$(wc -c < "$t")
if [ "$got" -ne "$size" ]; then echo "berth: size mismatch: wrote $got bytes, expected $size" >&2; exit 3; fi
got=$(sha256sum < "$t"); got=${got%% *}
if [ "$got" != "$sum" ]; then echo "berth: sha256 mismatch after upload" >&2; exit 3; fi
if [ -n "$owner" ]; then chown -- "$owner" "$t"; fi
if [ -n "$group" ]; then chgrp -- "$group" "$t"; fi
chmod -- "$mode" "$t"
mv -f -- "$t" "$p"
t= n=$((n+1))
echo "@@berth wrote $n"
done
`

// maxScriptFiles bounds the files of one write script, so its command line stays far
// below the kernel's limits (ARG_MAX, and MAX_ARG_STRLEN per argument) whatever the paths.
const maxScriptFiles = 100

// WriteFile implements modules.Host. See writeScript for the guarantees.
func (r *runner) WriteFile(ctx context.Context, w modules.FileWrite) error {
	_, err := r.WriteFiles(ctx, []modules.FileWrite{w})
	return err
}

// WriteFiles implements modules.BatchWriter: one SSH session per maxScriptFiles files.
func (r *runner) WriteFiles(ctx context.Context, ws []modules.FileWrite) (int, error) {
	return writeInBatches(r.name, ws, func(rest []modules.FileWrite) int { return min(len(rest), maxScriptFiles) },
		func(batch []modules.FileWrite) (int, error) { return r.writeBatch(ctx, batch) })
}

// writeInBatches refuses bad paths (writing the files before the first), then writes the
// rest in order, batch(rest) files at a time, through write. done counts the files written
// before the first failure, which err names. Both transports batch through it.
func writeInBatches(host string, ws []modules.FileWrite, batch func(rest []modules.FileWrite) int, write func([]modules.FileWrite) (int, error)) (int, error) {
	valid, bad := validWrites(host, ws)
	done := 0
	for len(valid) > 0 {
		n := batch(valid)
		got, err := write(valid[:n])
		done += got
		if err != nil {
			return done, err
		}
		valid = valid[n:]
	}
	return done, bad
}

// validWrites is the prefix of ws with acceptable paths, and the error of the first
// that is not (nil when all are).
func validWrites(host string, ws []modules.FileWrite) ([]modules.FileWrite, error) {
	for i, w := range ws {
		if err := checkWritePath(host, w.Path); err != nil {
			return ws[:i], err
		}
	}
	return ws, nil
}

func (r *runner) writeBatch(ctx context.Context, ws []modules.FileWrite) (int, error) {
	argv := []string{"sh", "-c", writeScript, "sh"}
	var stdin []io.Reader
	for _, w := range ws {
		dir, base := path.Split(w.Path)
		mode := w.Mode.Perm()
		if mode == 0 {
			mode = 0o600
		}
		mk := "0"
		if w.MkdirParents {
			mk = "1"
		}
		argv = append(argv, w.Path, path.Clean(dir), base, strconv.FormatUint(uint64(mode), 8), w.Owner, w.Group, mk)
		stdin = append(stdin, strings.NewReader(fmt.Sprintf("%d %s\n", len(w.Content), contentSum(w))), bytes.NewReader(w.Content))
	}
	res, err := r.runLine(ctx, r.commandLine(argv, false), "write", io.MultiReader(stdin...), nil, true)
	done := min(bytes.Count(res.Stdout, []byte("@@berth wrote ")), len(ws))
	at := ws[min(done, len(ws)-1)].Path // the file the batch stopped at
	switch {
	case err != nil:
		return done, fmt.Errorf("write %s: %w", at, err)
	case res.ExitCode != 0:
		return done, fmt.Errorf("write %s on %s: exit %d: %s", at, r.name, res.ExitCode, firstLine(res.Stderr))
	case done < len(ws):
		return done, fmt.Errorf("write %s on %s: the write script ended early", at, r.name)
	}
	return done, nil
}

// checkWritePath refuses a destination that is not an absolute, clean file path.
func checkWritePath(host, p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("write %s on %s: path must be absolute and clean", p, host)
	}
	return nil
}

// contentSum is w's hex SHA-256: the one it carries, else computed.
func contentSum(w modules.FileWrite) string {
	if w.SHA256 != "" {
		return w.SHA256
	}
	sum := sha256.Sum256(w.Content)
	return hex.EncodeToString(sum[:])
}
