package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/provisioner/conn"
	"golang.org/x/crypto/ssh"
)

func init() {
	register(&command{
		name:    "hosts",
		summary: "manage host keys: hosts trust HOST",
		usage:   "trust HOST [DIR] [--fingerprint SHA256:...] [--yes]",
		run:     runHosts,
	})
}

func runHosts(e *env, args []string) int {
	if len(args) == 0 || args[0] != "trust" {
		fmt.Fprintln(e.stderr, "error: usage: berth hosts trust HOST [DIR] [--fingerprint SHA256:...] [--yes]")
		return exitError
	}
	fs := newFlags(e, "hosts")
	f := addInventoryFlags(fs)
	want := fs.String("fingerprint", "", "write the key only if the host presents this SHA256 fingerprint")
	yes := fs.Bool("yes", false, "write the key without asking (trust on first use)")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline for fetching the key")
	pos, err := parseArgs(fs, args[1:])
	if err != nil || len(pos) < 1 {
		fs.Usage()
		return exitError
	}
	dir, ok := oneDir(e, "hosts trust", pos[1:])
	if !ok {
		return exitError
	}
	inv, ok := loadInventory(e, dir, f)
	if !ok {
		return exitError
	}
	r, err := newResolver(e, inv)
	if err == nil {
		var cfg *conn.Config
		if cfg, err = r.ResolveName(pos[0]); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			err = trustHost(e, ctx, cfg, *want, *yes)
		}
	}
	if err != nil {
		hostError(e, pos[0], err)
		return exitError
	}
	return exitOK
}

// errNotTrusted: the user declined, or the fingerprint did not match; nothing was written.
var errNotTrusted = errors.New("key not trusted; nothing written")

func trustHost(e *env, ctx context.Context, cfg *conn.Config, want string, yes bool) error {
	key, err := conn.FetchHostKey(ctx, cfg)
	if err != nil {
		return err
	}
	fp := ssh.FingerprintSHA256(key)
	fmt.Fprintf(e.stdout, "%s (%s) presents %s key %s\n", cfg.Name, cfg.Addr(), key.Type(), fp)
	var unknown *conn.UnknownHostKeyError
	switch err := conn.CheckKnown(cfg, key); {
	case err == nil:
		fmt.Fprintf(e.stdout, "already trusted in %s\n", cfg.KnownHosts[0])
		return nil
	case !errors.As(err, &unknown):
		return err // changed or revoked: never overwritten from here
	}
	if want != "" {
		if strings.TrimPrefix(want, "SHA256:") != strings.TrimPrefix(fp, "SHA256:") {
			return fmt.Errorf("fingerprint mismatch: expected %s, host presents %s: %w", want, fp, errNotTrusted)
		}
	} else if !yes && !confirmTrust(e, fmt.Sprintf("Trust this key and add it to %s? [y/N] ", cfg.KnownHosts[0])) {
		return errNotTrusted
	}
	if err := conn.AppendKnownHost(cfg.KnownHosts[0], cfg.Addr(), key); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added %s to %s\n", fp, cfg.KnownHosts[0])
	return nil
}

// confirmTrust asks on stderr and reads one line of stdin; only y or yes agrees.
func confirmTrust(e *env, question string) bool {
	fmt.Fprint(e.stderr, question)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}
