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

// writeScript replaces a file atomically and privately. It runs as `sh -c SCRIPT sh ARGS`
// (through `sudo -n --` with become), so it works when the SSH user is not root and the
// destination is root-owned. Only paths, mode and owner are on the command line; the first
// stdin line carries the expected size and SHA-256, the rest is the content. Steps:
//
//  1. remove stale temp files of this destination (.berth-tmp-NAME.*) left by a cut write;
//  2. mktemp in the destination directory: created 0600, owned by the writer;
//  3. copy stdin into it, then check size and SHA-256 on the host;
//  4. chown, then chmod (chown may clear set-id bits), then rename over the destination.
//
// A write cut at any point leaves the old file untouched; the temp file is removed by the
// EXIT trap, or by step 1 of the next write when the shell was killed.
const writeScript = `set -eu
umask 077
p=$1 d=$2 b=$3 mode=$4 owner=$5 group=$6 mk=$7
IFS=' ' read -r size sum
if [ "$mk" = 1 ] && [ ! -d "$d" ]; then (umask 022 && mkdir -p -- "$d"); fi
for f in "$d/.berth-tmp-$b".*; do if [ -e "$f" ]; then rm -f -- "$f"; fi; done
t=$(mktemp -- "$d/.berth-tmp-$b.XXXXXX")
trap 'rm -f -- "$t"' EXIT
trap 'exit 129' HUP INT TERM PIPE
cat > "$t"
got=$(wc -c < "$t")
if [ "$got" -ne "$size" ]; then echo "berth: size mismatch: wrote $got bytes, expected $size" >&2; exit 3; fi
got=$(sha256sum < "$t"); got=${got%% *}
if [ "$got" != "$sum" ]; then echo "berth: sha256 mismatch after upload" >&2; exit 3; fi
if [ -n "$owner" ]; then chown -- "$owner" "$t"; fi
if [ -n "$group" ]; then chgrp -- "$group" "$t"; fi
chmod -- "$mode" "$t"
mv -f -- "$t" "$p"
trap - EXIT
`

// WriteFile implements modules.Host. See writeScript for the guarantees.
func (r *runner) WriteFile(ctx context.Context, w modules.FileWrite) error {
	if !path.IsAbs(w.Path) || path.Clean(w.Path) != w.Path || w.Path == "/" {
		return fmt.Errorf("write %s on %s: path must be absolute and clean", w.Path, r.name)
	}
	dir, base := path.Split(w.Path)
	mode := w.Mode.Perm()
	if mode == 0 {
		mode = 0o600
	}
	mk := "0"
	if w.MkdirParents {
		mk = "1"
	}
	argv := []string{"sh", "-c", writeScript, "sh", w.Path, path.Clean(dir), base,
		strconv.FormatUint(uint64(mode), 8), w.Owner, w.Group, mk}
	sum := sha256.Sum256(w.Content)
	header := fmt.Sprintf("%d %s\n", len(w.Content), hex.EncodeToString(sum[:]))
	stdin := io.MultiReader(strings.NewReader(header), bytes.NewReader(w.Content))
	res, err := r.runLine(ctx, r.commandLine(argv, false), "write", stdin, nil, true)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.Path, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("write %s on %s: exit %d: %s", w.Path, r.name, res.ExitCode, firstLine(res.Stderr))
	}
	return nil
}
