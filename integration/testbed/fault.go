package testbed

import (
	"context"
	"fmt"
)

// Fault handles. Each acts on the container from outside, the way a real host fails.

// Pause freezes every process of the host (docker pause): TCP connections stay open but
// nothing answers, like a hung VM.
func (h *Host) Pause(ctx context.Context) error { return h.docker(ctx, "pause", h.Container) }

// Unpause resumes a paused host.
func (h *Host) Unpause(ctx context.Context) error { return h.docker(ctx, "unpause", h.Container) }

// Disconnect cuts the host off its network: its address stops answering.
func (h *Host) Disconnect(ctx context.Context) error {
	return h.docker(ctx, "network", "disconnect", h.Network, h.Container)
}

// Reconnect puts the host back on its network at the same address. Its network interface gets
// a new name (eth1 instead of eth0): do not assert on interface names across a reconnect.
func (h *Host) Reconnect(ctx context.Context) error {
	return h.docker(ctx, "network", "connect", "--ip", h.Address, h.Network, h.Container)
}

// Stop shuts the host down (systemd halts on SIGRTMIN+3); its disk survives.
func (h *Host) Stop(ctx context.Context) error { return h.docker(ctx, "stop", h.Container) }

// Start boots a stopped host again, at the same address with the same host keys; wait for it
// with WaitSSH.
func (h *Host) Start(ctx context.Context) error { return h.docker(ctx, "start", h.Container) }

// KillSSHD kills every sshd process, including open sessions. systemd restarts sshd within
// about a second: to keep the host unreachable use StopSSH or Disconnect.
func (h *Host) KillSSHD(ctx context.Context) error {
	_, err := h.Exec(ctx, "pkill", "-KILL", "-x", "sshd")
	return err
}

// StopSSH stops ssh.service (new connections are refused; sessions already open survive).
func (h *Host) StopSSH(ctx context.Context) error {
	_, err := h.Exec(ctx, "systemctl", "stop", "ssh.service")
	return err
}

// StartSSH starts ssh.service again.
func (h *Host) StartSSH(ctx context.Context) error {
	_, err := h.Exec(ctx, "systemctl", "start", "ssh.service")
	return err
}

func (h *Host) docker(ctx context.Context, args ...string) error {
	if _, err := docker(ctx, args...); err != nil {
		return fmt.Errorf("host %s: %w", h.Name, err)
	}
	return nil
}
