package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// TestUser is the login user on every host: key-only SSH, passwordless sudo.
const TestUser = "tester"

// maskedUnits make no sense in a container and would slow boot or fail.
var maskedUnits = []string{
	"getty@tty1.service", "console-getty.service", "systemd-udevd.service",
	"systemd-udev-trigger.service", "systemd-modules-load.service", "systemd-remount-fs.service",
	"sys-kernel-debug.mount", "sys-kernel-tracing.mount", "systemd-firstboot.service",
}

// containerInit is PID 1. --privileged cannot be used on these machines (CAP_SYS_RESOURCE is
// not in the bounding set: "runc: unable to apply caps"), and without it Docker mounts /sys and
// the cgroup v1 hierarchies read-only; systemd and the inner dockerd need them writable.
const containerInit = `#!/bin/sh
mount -o remount,rw /sys 2>/dev/null
mount -o remount,rw /sys/fs/cgroup 2>/dev/null
for d in /sys/fs/cgroup/*; do
  mountpoint -q "$d" && mount -o remount,bind,rw "$d" 2>/dev/null
done
exec /sbin/init "$@"
`

// sshHostKeys makes every host generate its own host keys at first boot.
const sshHostKeys = "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n"

// sshdConfig: key-only logins. On trixie (OpenSSH 10) PerSourcePenalties is off: a test that
// provokes a failed handshake (wrong host key, wrong user) would otherwise get this machine's
// address refused by that host for a while, and later tests would fail for no reason of theirs.
func sshdConfig(release string) string {
	c := "PasswordAuthentication no\nUseDNS no\n"
	if release != Bookworm {
		c += "PerSourcePenalties no\n"
	}
	return c
}

// customize turns a debootstrap rootfs into a test host image tree.
func customize(ctx context.Context, root, release string) error {
	if err := addUser(ctx, root); err != nil {
		return err
	}
	files := []struct {
		path, data string
		mode       os.FileMode
	}{
		{"etc/apt/sources.list", sourcesList(release), 0o644},
		{"etc/sudoers.d/" + TestUser, TestUser + " ALL=(ALL) NOPASSWD:ALL\n", 0o440},
		{"etc/systemd/system/ssh.service.d/hostkeys.conf", sshHostKeys, 0o644},
		{"etc/ssh/sshd_config.d/10-test.conf", sshdConfig(release), 0o644},
		{"usr/local/sbin/container-init", containerInit, 0o755},
		{"etc/machine-id", "", 0o444},
		{"etc/fstab", "", 0o644},
		{"etc/hostname", "testhost\n", 0o644},
	}
	for _, f := range files {
		if err := writeRootFile(root, f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	if err := maskUnits(root); err != nil {
		return err
	}
	return slim(root)
}

func writeRootFile(root, rel, data string, mode os.FileMode) error {
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("customize rootfs: %w", err)
	}
	os.Remove(p) // may be a symlink or read-only
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		return fmt.Errorf("customize rootfs: %w", err)
	}
	return os.Chmod(p, mode)
}

// addUser creates the test user with its ~/.ssh (filled per bed at start).
func addUser(ctx context.Context, root string) error {
	if _, err := run(ctx, nil, "chroot", root, "id", "-u", TestUser); err != nil {
		if _, err := run(ctx, nil, "chroot", root, "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", TestUser); err != nil {
			return fmt.Errorf("customize rootfs: %w", err)
		}
	}
	uid, err := chrootID(ctx, root, "-u")
	if err != nil {
		return err
	}
	gid, err := chrootID(ctx, root, "-g")
	if err != nil {
		return err
	}
	ssh := filepath.Join(root, "home", TestUser, ".ssh")
	if err := os.MkdirAll(ssh, 0o700); err != nil {
		return fmt.Errorf("customize rootfs: %w", err)
	}
	return os.Chown(ssh, uid, gid)
}

func chrootID(ctx context.Context, root, flag string) (int, error) {
	out, err := run(ctx, nil, "chroot", root, "id", flag, TestUser)
	if err != nil {
		return 0, fmt.Errorf("customize rootfs: %w", err)
	}
	return strconv.Atoi(out)
}

func maskUnits(root string) error {
	for _, u := range maskedUnits {
		p := filepath.Join(root, "etc/systemd/system", u)
		os.Remove(p)
		if err := os.Symlink("/dev/null", p); err != nil {
			return fmt.Errorf("mask %s: %w", u, err)
		}
	}
	return nil
}

// slim removes per-machine identity (host keys, dbus machine-id) and what only takes space.
func slim(root string) error {
	globs := []string{"etc/ssh/ssh_host_*", "var/lib/dbus/machine-id", "var/cache/apt/archives/*.deb",
		"var/cache/apt/*.bin", "var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*",
		"usr/share/locale/*", "etc/apt/sources.list.d/debian.sources"}
	for _, g := range globs {
		matches, _ := filepath.Glob(filepath.Join(root, g))
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return fmt.Errorf("slim rootfs: %w", err)
			}
		}
	}
	return os.MkdirAll(filepath.Join(root, "var/lib/apt/lists/partial"), 0o755)
}
