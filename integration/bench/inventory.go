package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/integration/testbed"
)

// BerthDir is the berth inventory directory for this fleet's N and K.
func (f Fleet) BerthDir() string {
	return filepath.Join(f.Dir, fmt.Sprintf("berth-n%d-k%d", f.N, f.K))
}

// WriteBerth writes the berth inventory: N hosts, and one file block per host and file (a
// file block's label is its path, and each host's files live under the host's own directory).
func (f Fleet) WriteBerth(keys Keys) error {
	dir := f.BerthDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench berth inventory: %w", err)
	}
	if err := testbed.WriteFileAtomic(filepath.Join(dir, "main.hcl"), []byte(f.berthHCL(keys)), 0o644); err != nil {
		return err
	}
	kh, err := os.ReadFile(keys.KnownHosts)
	if err != nil {
		return fmt.Errorf("bench berth inventory: %w", err)
	}
	return testbed.WriteFileAtomic(filepath.Join(dir, "known_hosts"), kh, 0o644)
}

// berthHCL is the berth inventory of the fleet. connect_timeout is raised from berth's 15 s:
// the fleet's sshd daemons share this machine's CPUs, so at N=1000 a handshake can wait
// 20-40 s for a CPU, which separate machines would not; the reference program and Ansible
// wait as long as it takes.
func (f Fleet) berthHCL(keys Keys) string {
	var b strings.Builder
	fmt.Fprintf(&b, "defaults {\n  become = false\n  ssh {\n    user            = \"root\"\n    port            = %d\n    identity        = %q\n    known_hosts     = \"known_hosts\"\n    connect_timeout = \"5m\"\n  }\n}\n\n", f.Port, keys.Identity)
	fmt.Fprintf(&b, "locals {\n  pad = %q\n}\n\n", Pad)
	for i := 1; i <= f.N; i++ {
		fmt.Fprintf(&b, "host %q {\n  address = %q\n}\n", HostName(i), Addr(i))
	}
	for i := 1; i <= f.N; i++ {
		for j := 0; j < f.K; j++ {
			fmt.Fprintf(&b, "\nfile %q {\n  hosts   = %q\n  content = \"%s file %s\\n${local.pad}\"\n  mode    = \"0644\"\n}\n",
				f.FilePath(i, j), HostName(i), HostName(i), FileName(j))
		}
	}
	return b.String()
}
