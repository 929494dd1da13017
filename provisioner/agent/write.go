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
)

// write replaces a file atomically; see the package doc for the steps and guarantees.
func write(ctx context.Context, w *Write) error {
	if !filepath.IsAbs(w.Path) || filepath.Clean(w.Path) != w.Path || w.Path == "/" {
		return fmt.Errorf("write %s: path must be absolute and clean", w.Path)
	}
	sum := sha256.Sum256(w.Content)
	if got := hex.EncodeToString(sum[:]); got != w.SHA256 {
		return fmt.Errorf("write %s: sha256 mismatch after transfer", w.Path)
	}
	uid, gid, err := owners(w.Owner, w.Group)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.Path, err)
	}
	dir, base := filepath.Split(w.Path)
	if w.MkdirParents {
		if err := mkdirParents(dir); err != nil {
			return fmt.Errorf("write %s: %w", w.Path, err)
		}
	}
	removeStale(dir, base)
	t, err := os.CreateTemp(dir, ".berth-tmp-"+base+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", w.Path, err)
	}
	if err := fill(ctx, t, w, uid, gid); err != nil {
		os.Remove(t.Name())
		return fmt.Errorf("write %s: %w", w.Path, err)
	}
	return syncDir(dir)
}

// fill writes, syncs and sets the temp file's owner and mode, then renames it into place.
// chown comes before chmod because chown may clear set-id bits.
func fill(ctx context.Context, t *os.File, w *Write, uid, gid int) error {
	_, err := t.Write(w.Content)
	if err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err == nil && (uid >= 0 || gid >= 0) {
		err = os.Chown(t.Name(), uid, gid)
	}
	if err == nil {
		err = os.Chmod(t.Name(), writeMode(w.Mode))
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(t.Name(), w.Path)
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
