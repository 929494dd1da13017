package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// CacheDir is where rootfs tarballs, the test CA, the registry binary, logs and the state of
// kept beds live: $BERTH_TESTBED_CACHE, else ~/.cache/berth-testbed.
func CacheDir() string {
	if d := os.Getenv("BERTH_TESTBED_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "berth-testbed")
	}
	return filepath.Join(os.TempDir(), "berth-testbed-cache")
}

// cachePath returns a path under the cache dir, creating the cache dir.
func cachePath(name string) (string, error) {
	dir := CacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create test bed cache %s: %w", dir, err)
	}
	return filepath.Join(dir, name), nil
}

// lockFile takes an exclusive flock on a file under the cache dir, waiting for another process
// that holds it (an image build takes minutes) until ctx ends. The lock dies with the process.
func lockFile(ctx context.Context, name string) (unlock func(), err error) {
	path, err := cachePath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WriteFileAtomic writes data to path through a temporary file beside it and a rename: a
// reader (or a crash) never sees a partial file. The benchmark uses it too.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
