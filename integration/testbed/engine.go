package testbed

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machinePackages are the Debian packages this machine needs to build images: debootstrap for
// the rootfs, busybox-static for the workload image. (TLS material is made in Go, so openssl
// is not needed.)
var machinePackages = map[string]string{
	"debootstrap":    "/usr/sbin/debootstrap",
	"busybox-static": "/bin/busybox",
}

// EnsureEngine makes sure a Docker engine answers on this machine. An engine that already
// answers is left alone. Otherwise docker.io is installed with apt when dockerd is missing and
// dockerd is started in the background (its own session, logging to the cache dir), then
// awaited. It also installs the machine packages image builds need.
func EnsureEngine(ctx context.Context, log io.Writer) error {
	if err := ensurePackages(ctx, log); err != nil {
		return err
	}
	if engineAnswers(ctx) {
		return nil
	}
	if !hasProgram("dockerd") || !hasProgram("docker") {
		if err := aptInstall(ctx, log, "docker.io"); err != nil {
			return err
		}
	}
	if !dockerdRunning() { // a dockerd still starting up is only waited for
		if err := startDockerd(log); err != nil {
			return err
		}
	}
	return waitEngine(ctx, 60*time.Second)
}

func hasProgram(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// dockerdRunning says whether the pid in dockerd's pid file is a live process.
func dockerdRunning() bool {
	b, err := os.ReadFile("/var/run/docker.pid")
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && procStart(pid) != ""
}

func engineAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := docker(ctx, "info", "--format", "{{.ServerVersion}}")
	return err == nil
}

// ensurePackages installs the machine packages whose files are missing.
func ensurePackages(ctx context.Context, log io.Writer) error {
	var missing []string
	for pkg, file := range machinePackages {
		if !installed(ctx, pkg) || !exists(file) {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return aptInstall(ctx, log, missing...)
}

func installed(ctx context.Context, pkg string) bool {
	out, err := run(ctx, nil, "dpkg-query", "-W", "-f", "${Status}", pkg)
	return err == nil && out == "install ok installed"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// aptInstall runs apt-get update then install, under a machine-wide lock so that two test
// processes do not fight over dpkg.
func aptInstall(ctx context.Context, log io.Writer, pkgs ...string) error {
	unlock, err := lockFile(ctx, "apt.lock")
	if err != nil {
		return err
	}
	defer unlock()
	logf(log, "testbed: apt-get install %v on this machine", pkgs)
	if err := apt(ctx, "update", "-q"); err != nil {
		return err
	}
	return apt(ctx, append([]string{"install", "-y", "-q"}, pkgs...)...)
}

func apt(ctx context.Context, args ...string) error {
	prog := "apt-get"
	if os.Geteuid() != 0 {
		prog, args = "sudo", append([]string{"-n", "apt-get"}, args...)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get %s on this machine: %w: %s", shortArgs(args), err, tail(string(out), 800))
	}
	return nil
}

// startDockerd starts dockerd in its own session so it outlives this process.
func startDockerd(log io.Writer) error {
	path, err := cachePath("dockerd.log")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dockerd: %w", err)
	}
	logf(log, "testbed: started dockerd (pid %d), log %s", cmd.Process.Pid, filepath.Clean(path))
	return cmd.Process.Release()
}

func waitEngine(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for !engineAnswers(ctx) {
		select {
		case <-ctx.Done():
			p, _ := cachePath("dockerd.log")
			return fmt.Errorf("docker engine did not answer within %s (see %s)", limit, p)
		case <-time.After(300 * time.Millisecond):
		}
	}
	return nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
