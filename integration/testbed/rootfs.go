package testbed

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// rootfsTarball returns the cached debootstrap rootfs of a release, running debootstrap when
// there is none. The caller holds the release's build lock.
func rootfsTarball(ctx context.Context, log io.Writer, release string) (string, error) {
	sum := sha256.Sum256([]byte(rootfsPackages))
	tarball, err := cachePath(fmt.Sprintf("rootfs-%s-%x.tar", release, sum[:4]))
	if err != nil {
		return "", err
	}
	if exists(tarball) {
		return tarball, nil
	}
	dir, err := os.MkdirTemp(CacheDir(), "debootstrap-"+release+"-")
	if err != nil {
		return "", fmt.Errorf("debootstrap %s: %w", release, err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	logf(log, "testbed: debootstrap %s (minutes; log in %s)", release, CacheDir())
	logPath, _ := cachePath("debootstrap-" + release + ".log")
	if err := runLogged(ctx, logPath, "debootstrap", "--variant=minbase", "--include="+rootfsPackages,
		release, dir, mirror); err != nil {
		return "", fmt.Errorf("debootstrap %s: %w", release, err)
	}
	if err := tarDir(ctx, dir, tarball); err != nil {
		return "", err
	}
	logf(log, "testbed: debootstrap %s took %s", release, time.Since(start).Round(time.Second))
	return tarball, nil
}

// tarDir writes dir as a tarball to path atomically.
func tarDir(ctx context.Context, dir, path string) error {
	tmp := path + ".part"
	if _, err := run(ctx, nil, "tar", "--numeric-owner", "-C", dir, "-cf", tmp, "."); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("archive rootfs %s: %w", dir, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("archive rootfs: %w", err)
	}
	return nil
}

// runLogged runs a long command with its output in a log file; an error points at the log.
func runLogged(ctx context.Context, logPath, prog string, args ...string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create log %s: %w", logPath, err)
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w (log: %s)", prog, err, filepath.Clean(logPath))
	}
	return nil
}
