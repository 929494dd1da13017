package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/integration/testbed"
)

// Fleet is a loopback fleet of N hosts with K managed files each, rooted at Dir.
type Fleet struct {
	Dir  string // e.g. /tmp/berth-bench
	Port int    // the port every bench sshd listens on
	N, K int
}

// Pad is the fixed tail of every managed file, so files are about 1 KiB. It holds no
// characters special to HCL templates or Jinja.
var Pad = strings.Repeat("berth bench payload line. ", 38)

// HostName is the inventory name of host i (1-based).
func HostName(i int) string { return fmt.Sprintf("host%d", i) }

// Addr is host i's loopback address: host1 is 127.0.0.2, the last octet stays in 1..254.
func Addr(i int) string { return fmt.Sprintf("127.0.%d.%d", i/254, i%254+1) }

// FileName is the name of managed file j (0-based) inside a host's directory.
func FileName(j int) string { return fmt.Sprintf("f%03d", j) }

// HostDir is where host i's managed files live.
func (f Fleet) HostDir(i int) string { return filepath.Join(f.Dir, "hosts", HostName(i)) }

// FilePath is the absolute path of host i's file j.
func (f Fleet) FilePath(i, j int) string { return filepath.Join(f.HostDir(i), FileName(j)) }

// Content is the desired content of host i's file j; berth and Ansible both produce it.
func Content(i, j int) string { return HostName(i) + " file " + FileName(j) + "\n" + Pad }

// MakeDirs creates every host's directory (the directories are not managed resources).
func (f Fleet) MakeDirs() error {
	for i := 1; i <= f.N; i++ {
		if err := os.MkdirAll(f.HostDir(i), 0o755); err != nil {
			return fmt.Errorf("bench fleet: %w", err)
		}
	}
	return nil
}

// RemoveFiles deletes the managed files of every host, for a first-apply run.
func (f Fleet) RemoveFiles() error {
	for i := 1; i <= f.N; i++ {
		for j := 0; j < f.K; j++ {
			if err := os.Remove(f.FilePath(i, j)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("bench fleet: %w", err)
			}
		}
	}
	return nil
}

// WriteFiles writes every host's files with the desired content (a converged fleet).
func (f Fleet) WriteFiles() error {
	for i := 1; i <= f.N; i++ {
		for j := 0; j < f.K; j++ {
			if err := testbed.WriteFileAtomic(f.FilePath(i, j), []byte(Content(i, j)), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
