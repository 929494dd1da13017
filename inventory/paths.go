package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// within resolves a path written in the inventory (relative to the inventory directory) and
// refuses one that leaves the directory, directly ("../x") or through a symlink: everything
// the inventory reads must be reviewable in the same repository.
func within(root, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(root, p)
	}
	abs = filepath.Clean(abs)
	if !isBelow(root, abs) {
		return "", fmt.Errorf("path %q leaves the inventory directory %s; files the inventory reads must be inside it", p, root)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("%q does not exist in the inventory directory %s", p, root)
		}
		return "", fmt.Errorf("resolve %q: %w", p, err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolve inventory directory %s: %w", root, err)
	}
	if !isBelow(realRoot, real) {
		return "", fmt.Errorf("path %q resolves through a symlink to %s, outside the inventory directory %s", p, real, root)
	}
	return abs, nil
}

// isBelow reports whether p is root or inside it (both clean and absolute).
func isBelow(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// readWithin reads a file that must be inside the inventory directory.
func readWithin(root, p string) (string, []byte, error) {
	abs, err := within(root, p)
	if err != nil {
		return "", nil, err
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return abs, nil, fmt.Errorf("read %s: %w", p, err)
	}
	return abs, b, nil
}
