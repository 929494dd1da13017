package testbed

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const recipeLabel = "berth.testbed.recipe"

// EnsureImage returns the image of a release (with docker.io, docker-compose and rsyslog when
// withDocker), building it when it is missing or was built by another RecipeVersion. Builds of
// one release are serialised across processes by a file lock.
func EnsureImage(ctx context.Context, log io.Writer, release string, withDocker bool) (string, error) {
	if err := checkRelease(release); err != nil {
		return "", err
	}
	name := ImageName(release, withDocker)
	if imageCurrent(ctx, name) {
		return name, nil
	}
	unlock, err := lockFile(ctx, "build-"+release+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if imageCurrent(ctx, name) { // built by another process while we waited
		return name, nil
	}
	start := time.Now()
	old, _ := docker(ctx, "image", "inspect", "-f", "{{.Id}}", name)
	if err := buildImage(ctx, log, release, withDocker, name); err != nil {
		return "", fmt.Errorf("build image %s: %w", name, err)
	}
	if old != "" {
		docker(ctx, "image", "rm", old) // the previous recipe's image; fails harmlessly while in use
	}
	logf(log, "testbed: image %s built in %s", name, time.Since(start).Round(time.Second))
	return name, nil
}

func imageCurrent(ctx context.Context, name string) bool {
	v, err := docker(ctx, "image", "inspect", "-f", `{{index .Config.Labels "`+recipeLabel+`"}}`, name)
	return err == nil && v == RecipeVersion
}

func buildImage(ctx context.Context, log io.Writer, release string, withDocker bool, name string) error {
	tarball, err := rootfsTarball(ctx, log, release)
	if err != nil {
		return err
	}
	root, err := os.MkdirTemp(CacheDir(), "build-"+release+"-")
	if err != nil {
		return err
	}
	defer removeTree(root)
	if _, err := run(ctx, nil, "tar", "--numeric-owner", "-C", root, "-xf", tarball); err != nil {
		return fmt.Errorf("unpack %s: %w", tarball, err)
	}
	if err := customize(ctx, root, release); err != nil {
		return err
	}
	if withDocker {
		logf(log, "testbed: installing %v into %s (a few minutes)", dockerPackages, name)
		if err := chrootInstall(ctx, root, release); err != nil {
			return err
		}
	}
	return importDir(ctx, root, name,
		"ENV container=docker", `CMD ["/usr/local/sbin/container-init"]`,
		fmt.Sprintf("LABEL %s=%s berth.testbed.release=%s", recipeLabel, RecipeVersion, release))
}

// importDir imports a directory tree as an image with the given Dockerfile changes.
func importDir(ctx context.Context, dir, name string, changes ...string) error {
	tar := exec.CommandContext(ctx, "tar", "--numeric-owner", "-C", dir, "-c", ".")
	out, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	if err := tar.Start(); err != nil {
		return fmt.Errorf("archive %s: %w", dir, err)
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "-c", c)
	}
	_, ierr := dockerIn(ctx, out, append(args, "-", name)...)
	werr := tar.Wait()
	if ierr != nil {
		return ierr
	}
	if werr != nil {
		return fmt.Errorf("archive %s: %w", dir, werr)
	}
	return nil
}

// chrootInstall installs dockerPackages in the rootfs with services prevented from starting
// (they start at the host's boot), then drops apt lists again.
func chrootInstall(ctx context.Context, root, release string) error {
	policy := filepath.Join(root, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		return err
	}
	resolv, _ := os.ReadFile("/etc/resolv.conf")
	if err := writeRootFile(root, "etc/resolv.conf", string(resolv), 0o644); err != nil {
		return err
	}
	if err := mountChroot(ctx, root); err != nil {
		return err
	}
	logPath, _ := cachePath("install-" + release + "-docker.log")
	script := "apt-get update -q && apt-get install -y -q " + joinWords(dockerPackages) + " && apt-get clean"
	ierr := runLogged(ctx, logPath, "chroot", root, "sh", "-c", script)
	uerr := unmountChroot(root)
	if ierr != nil {
		return ierr
	}
	if uerr != nil {
		return uerr
	}
	os.Remove(policy)
	if err := writeRootFile(root, "etc/resolv.conf", "", 0o644); err != nil {
		return err
	}
	return slim(root)
}

func mountChroot(ctx context.Context, root string) error {
	if _, err := run(ctx, nil, "mount", "-t", "proc", "proc", filepath.Join(root, "proc")); err != nil {
		return err
	}
	if _, err := run(ctx, nil, "mount", "--bind", "/dev", filepath.Join(root, "dev")); err != nil {
		unmountChroot(root)
		return err
	}
	return nil
}

// unmountChroot runs even when ctx has ended: a mount left behind blocks removing the tree.
func unmountChroot(root string) error {
	var first error
	for _, m := range []string{"dev", "proc"} {
		p := filepath.Join(root, m)
		if _, err := run(context.Background(), nil, "mountpoint", "-q", p); err != nil {
			continue
		}
		if _, err := run(context.Background(), nil, "umount", "-l", p); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func joinWords(ws []string) string {
	s := ""
	for i, w := range ws {
		if i > 0 {
			s += " "
		}
		s += w
	}
	return s
}

// removeTree removes a build tree, unless something is still mounted below it: removing a
// bind-mounted /dev would wreck this machine.
func removeTree(root string) {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil || strings.Contains(string(mounts), " "+root+"/") {
		return
	}
	os.RemoveAll(root)
}
