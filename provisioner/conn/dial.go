package conn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Dial connects to a host (through its ProxyJump hops, each verified like any host) and
// returns the one connection that every later command of this run multiplexes on.
func Dial(ctx context.Context, c *Config) (*SSH, error) {
	cfg := c.withDefaults()
	start := time.Now()
	var hops []*ssh.Client
	closeHops := func() {
		for i := len(hops) - 1; i >= 0; i-- {
			hops[i].Close()
		}
	}
	var via *ssh.Client
	var tcp net.Conn // the connection on the wire: the first jump host's, else the host's
	for _, h := range cfg.Jump {
		hc := h.withDefaults()
		cl, nc, err := connect(ctx, &hc, via)
		if err != nil {
			closeHops()
			return nil, fmt.Errorf("host %s: through jump host %s: %w", cfg.Name, hc.Name, err)
		}
		if tcp == nil {
			tcp = nc
		}
		hops, via = append(hops, cl), cl
	}
	cl, nc, err := connect(ctx, &cfg, via)
	if err != nil {
		closeHops()
		return nil, err
	}
	if tcp == nil {
		tcp = nc
	}
	s := newSSH(&cfg, cl, hops)
	s.tcp = tcp
	s.stats.Connect = time.Since(start)
	return s, nil
}

// connect retries connection setup with backoff, but never once the host's key was accepted
// (authentication failures, refused keys) and never on a host key error. It returns the
// client and the connection it runs on.
func connect(ctx context.Context, cfg *Config, via *ssh.Client) (*ssh.Client, net.Conn, error) {
	backoff := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		cl, nc, retry, err := connectOnce(ctx, cfg, via)
		if err == nil {
			return cl, nc, nil
		}
		if !retry || attempt >= cfg.Retries || ctx.Err() != nil {
			return nil, nil, err
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("host %s: %w (after %v)", cfg.Name, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func connectOnce(ctx context.Context, cfg *Config, via *ssh.Client) (*ssh.Client, net.Conn, bool, error) {
	keys, err := newHostKeys(cfg)
	if err != nil {
		return nil, nil, false, err
	}
	auth, closeAgent, err := authMethods(cfg)
	if err != nil {
		return nil, nil, false, err
	}
	defer closeAgent()
	conf := &ssh.ClientConfig{User: cfg.User, Auth: auth, HostKeyCallback: keys.check,
		HostKeyAlgorithms: keys.algorithms(), Timeout: cfg.ConnectTimeout}
	nc, err := dialTCP(ctx, cfg, via)
	if err != nil {
		return nil, nil, true, fmt.Errorf("host %s: dial %s: %w", cfg.Name, cfg.Addr(), err)
	}
	c, chans, reqs, err := handshake(ctx, nc, cfg, conf)
	if err == nil {
		return ssh.NewClient(c, chans, reqs), nc, false, nil
	}
	nc.Close()
	var unknown *UnknownHostKeyError
	var changed *ChangedHostKeyError
	switch {
	case errors.As(err, &unknown), errors.As(err, &changed):
		return nil, nil, false, err
	case keys.accepted.Load() && strings.Contains(err.Error(), "unable to authenticate"):
		return nil, nil, false, &AuthError{Host: cfg.Name, User: cfg.User, Err: err}
	case keys.accepted.Load():
		return nil, nil, false, fmt.Errorf("host %s: ssh handshake: %w", cfg.Name, err)
	}
	return nil, nil, true, fmt.Errorf("host %s: ssh handshake with %s: %w", cfg.Name, cfg.Addr(), err)
}

func dialTCP(ctx context.Context, cfg *Config, via *ssh.Client) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if via != nil {
		return via.DialContext(ctx, "tcp", cfg.Addr())
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", cfg.Addr())
}

// handshake bounds the SSH handshake (key exchange and authentication), which x/crypto's
// Timeout does not cover: a server that accepts TCP and then stalls would hang forever.
// Closing the connection is the one deadline that also works on a jump host's channel.
func handshake(ctx context.Context, nc net.Conn, cfg *Config, conf *ssh.ClientConfig) (ssh.Conn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	type result struct {
		c     ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, chans, reqs, err := ssh.NewClientConn(nc, cfg.Addr(), conf)
		done <- result{c, chans, reqs, err}
	}()
	timer := time.NewTimer(cfg.ConnectTimeout)
	defer timer.Stop()
	var cause error
	select {
	case r := <-done:
		return r.c, r.chans, r.reqs, r.err
	case <-timer.C:
		cause = fmt.Errorf("handshake did not complete within %v", cfg.ConnectTimeout)
	case <-ctx.Done():
		cause = ctx.Err()
	}
	nc.Close()
	<-done
	return nil, nil, nil, cause
}
