package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// write replaces a file atomically; see the package doc for the steps and guarantees.
func write(ctx context.Context, w *Write) error {
	_, err := writeAll(ctx, []*Write{w})
	return err
}

// syncers bounds the flushes of one batch in flight at once.
const syncers = 16

// writeAll replaces files atomically, in order until one fails, and returns how many are in
// place. Each file gets what write promises (temp file, verified content, fsync, owner and
// mode, rename, fsync of its directory), but a batch pays the disk's flushes once rather than
// twice per file: every temp file is written first, all are flushed together (a journaling
// filesystem commits them in one transaction: 10 files on ext4, 33 ms one by one, 9 ms
// together), then they are renamed in order and each directory is flushed once. When it
// fails, the files before the failing one are in place and durable and nothing of the rest is
// left behind.
func writeAll(ctx context.Context, ws []*Write) (int, error) {
	temps := make([]string, 0, len(ws))
	defer func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t) // not renamed: a failure stopped the batch
			}
		}
	}()
	var err error
	for _, w := range ws {
		var t string
		if t, err = prepare(w); err != nil {
			break
		}
		temps = append(temps, t)
	}
	n := len(temps)
	if serr := syncAll(temps, ws); serr != nil && serr.at < n {
		n, err = serr.at, serr.err
	}
	if cerr := ctx.Err(); cerr != nil {
		n, err = 0, cerr
	}
	for i := 0; i < n; i++ {
		if rerr := os.Rename(temps[i], ws[i].Path); rerr != nil {
			n, err = i, fmt.Errorf("write %s: %w", ws[i].Path, rerr)
			break
		}
		temps[i] = ""
	}
	// Directories are flushed in order of first use; a file counts as written only once its
	// directory is flushed.
	synced := map[string]error{}
	for i := 0; i < n; i++ {
		dir := filepath.Dir(ws[i].Path)
		serr, seen := synced[dir]
		if !seen {
			serr = syncDir(dir)
			synced[dir] = serr
		}
		if serr != nil {
			return i, fmt.Errorf("write %s: %w", ws[i].Path, serr)
		}
	}
	return n, err
}

// prepare checks one write and leaves its content in a temp file beside the destination,
// with its final owner and mode but not yet flushed: it returns the temp file's path. chown
// comes before chmod because chown may clear set-id bits.
func prepare(w *Write) (string, error) {
	if !filepath.IsAbs(w.Path) || filepath.Clean(w.Path) != w.Path || w.Path == "/" {
		return "", fmt.Errorf("write %s: path must be absolute and clean", w.Path)
	}
	sum := sha256.Sum256(w.Content)
	if got := hex.EncodeToString(sum[:]); got != w.SHA256 {
		return "", fmt.Errorf("write %s: sha256 mismatch after transfer", w.Path)
	}
	uid, gid, err := owners(w.Owner, w.Group)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", w.Path, err)
	}
	dir, base := filepath.Split(w.Path)
	if w.MkdirParents {
		if err := mkdirParents(dir); err != nil {
			return "", fmt.Errorf("write %s: %w", w.Path, err)
		}
	}
	removeStale(dir, base)
	t, err := os.CreateTemp(dir, ".berth-tmp-"+base+".*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", w.Path, err)
	}
	_, err = t.Write(w.Content)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err == nil && (uid >= 0 || gid >= 0) {
		err = os.Chown(t.Name(), uid, gid)
	}
	if err == nil {
		err = os.Chmod(t.Name(), writeMode(w.Mode))
	}
	if err != nil {
		os.Remove(t.Name())
		return "", fmt.Errorf("write %s: %w", w.Path, err)
	}
	return t.Name(), nil
}

// syncError is the first temp file of a batch that could not be flushed.
type syncError struct {
	at  int
	err error
}

// syncAll flushes the temp files' contents, several at once; nil when all are durable.
func syncAll(temps []string, ws []*Write) *syncError {
	errs := make([]error, len(temps))
	sem := make(chan struct{}, syncers)
	var wg sync.WaitGroup
	for i, t := range temps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = syncFile(t)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return &syncError{at: i, err: fmt.Errorf("write %s: %w", ws[i].Path, err)}
		}
	}
	return nil
}

// syncFile flushes a file by path: fsync works on a read-only descriptor, and a write-only
// mode (0200) still lets its owner open it for writing.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		f, err = os.OpenFile(p, os.O_WRONLY, 0)
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeMode is the file's permission bits; no mode at all means private (0600).
func writeMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m) & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if mode == 0 {
		return 0o600
	}
	return mode
}

// owners resolves "" (keep), names and numbers; "user:group" in owner is accepted like chown.
func owners(owner, group string) (int, int, error) {
	uid, gid := -1, -1
	if u, g, ok := strings.Cut(owner, ":"); ok {
		owner = u
		if group == "" {
			group = g
		}
	}
	var err error
	if owner != "" {
		if uid, err = lookupUID(owner); err != nil {
			return 0, 0, fmt.Errorf("unknown owner %q: %w", owner, err)
		}
	}
	if group != "" {
		if gid, err = lookupGID(group); err != nil {
			return 0, 0, fmt.Errorf("unknown group %q: %w", group, err)
		}
	}
	return uid, gid, nil
}

// mkdirParents creates missing directories 0755 (whatever the umask), as the shell
// transport does.
func mkdirParents(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := mkdirParents(filepath.Dir(filepath.Clean(dir))); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if os.IsExist(err) {
			return nil
		}
		return err
	}
	return os.Chmod(dir, 0o755)
}

// removeStale deletes temp files a killed write of the same destination left behind.
func removeStale(dir, base string) {
	old, _ := filepath.Glob(filepath.Join(dir, ".berth-tmp-"+globEscape(base)+".*"))
	for _, f := range old {
		os.Remove(f)
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
