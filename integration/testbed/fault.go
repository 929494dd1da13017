package testbed

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
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

// Throttle slows what reaches the host to rate (a tc rate such as "64kbit") by shaping, on
// this machine, the host side of the host's veth pair: uploads to the host crawl, whatever
// TCP's segment sizes, while the host's own outbound traffic is untouched. It returns the
// undo. (Shaping inside the host only slows its ACKs, which large segments make nearly free.)
func (h *Host) Throttle(ctx context.Context, rate string) (undo func(), err error) {
	out, err := h.Exec(ctx, "sh", "-c", "for i in /sys/class/net/*; do [ \"${i##*/}\" = lo ] || cat $i/iflink; done")
	if err != nil {
		return nil, fmt.Errorf("host %s: read its interfaces: %w", h.Name, err)
	}
	var devs []string
	for _, idx := range strings.Fields(out) {
		b, err := exec.CommandContext(ctx, "ip", "-o", "link", "show").Output()
		if err != nil {
			return nil, fmt.Errorf("ip link: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if num, rest, ok := strings.Cut(line, ": "); ok && strings.TrimSpace(num) == idx {
				name, _, _ := strings.Cut(rest, ":")
				name, _, _ = strings.Cut(name, "@")
				devs = append(devs, name)
			}
		}
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("host %s: no veth of its interfaces found on this machine", h.Name)
	}
	for _, d := range devs {
		if b, err := exec.CommandContext(ctx, "tc", "qdisc", "replace", "dev", d, "root", "tbf", "rate", rate, "burst", "4kb", "latency", "5s").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("host %s: tc on %s: %v: %s", h.Name, d, err, b)
		}
	}
	return func() {
		for _, d := range devs {
			exec.Command("tc", "qdisc", "del", "dev", d, "root").Run() // gone already if the host was disconnected
		}
	}, nil
}
