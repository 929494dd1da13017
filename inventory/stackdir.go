package inventory

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// composeFileNames are the names docker compose looks for, in its order of preference.
var composeFileNames = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}

// overrideFileNames are the override files docker compose merges over the compose file.
var overrideFileNames = []string{"compose.override.yaml", "compose.override.yml", "docker-compose.override.yml", "docker-compose.override.yaml"}

// maxComposeSize bounds a compose or override file: real ones are kilobytes, and compose-go
// parses the whole document into memory on every plan.
const maxComposeSize = 4 << 20

// stackFiles is the content of a stack directory.
type stackFiles struct {
	compose  string            // name of the compose file
	override string            // name of the override file, "" if none
	files    map[string][]byte // every regular file by slash-separated relative path
}

// readStackDir reads every file of a stack directory. A symlink is followed only when it
// stays inside the directory (the host gets a copy of the target); a symlink that leaves it,
// or anything that is not a regular file or directory, is refused.
func readStackDir(dir string) (*stackFiles, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	sf := &stackFiles{files: map[string][]byte{}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() || rel == "." {
			return nil
		}
		b, err := readStackFile(real, p, rel, d)
		if err != nil {
			return err
		}
		sf.files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	sf.compose = firstPresent(sf.files, composeFileNames)
	sf.override = firstPresent(sf.files, overrideFileNames)
	if sf.compose == "" {
		return nil, fmt.Errorf("no compose file (one of %v) in %s", composeFileNames, dir)
	}
	for _, n := range []string{sf.compose, sf.override} {
		if n != "" && len(sf.files[n]) > maxComposeSize {
			return nil, fmt.Errorf("%s is %.1f MiB; berth accepts compose files up to %d MiB (a larger one is almost certainly not a compose file, and every plan would parse it)",
				n, float64(len(sf.files[n]))/(1<<20), maxComposeSize>>20)
		}
	}
	return sf, nil
}

func readStackFile(realDir, p, rel string, d fs.DirEntry) ([]byte, error) {
	if d.Type()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, fmt.Errorf("symlink %s: %w", rel, err)
		}
		if !isBelow(realDir, target) {
			return nil, fmt.Errorf("symlink %s points to %s, outside the stack directory; copy the file into the stack instead", rel, target)
		}
		st, err := os.Stat(target)
		if err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("symlink %s must point to a regular file", rel)
		}
		return os.ReadFile(target)
	}
	if !d.Type().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); a stack directory holds files and directories only", rel, d.Type())
	}
	return os.ReadFile(p)
}

func firstPresent(files map[string][]byte, names []string) string {
	for _, n := range names {
		if _, ok := files[n]; ok {
			return n
		}
	}
	return ""
}

// sortedFileNames lists a stack's files in order, for hashing.
func sortedFileNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
