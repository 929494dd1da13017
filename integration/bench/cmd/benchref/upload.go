package main

import (
	"fmt"

	"github.com/berth-dev/berth/integration/bench"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// upload writes host i's K files over one SFTP session: create, write, chmod 0644.
func upload(c *ssh.Client, f bench.Fleet, i int) error {
	s, err := sftp.NewClient(c)
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer s.Close()
	for j := 0; j < f.K; j++ {
		p := f.FilePath(i, j)
		w, err := s.Create(p)
		if err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		if _, err := w.Write([]byte(bench.Content(i, j))); err != nil {
			w.Close()
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := w.Chmod(0o644); err != nil {
			w.Close()
			return fmt.Errorf("chmod %s: %w", p, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("close %s: %w", p, err)
		}
	}
	return nil
}
