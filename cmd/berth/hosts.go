package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/provisioner/conn"
	"golang.org/x/crypto/ssh"
)

func init() {
	register(&command{
		name:    "hosts",
		summary: "list hosts and manage their keys",
		subs: []*command{hostsList, {
			name:    "trust",
			summary: "fetch a host's key, check its fingerprint and add it to known_hosts",
			args:    []param{required("HOST"), optional("DIR")},
			setup: func(fs *flag.FlagSet) action {
				f := &trustFlags{inv: addInventoryFlags(fs)}
				f.inv.addSourceFlags(fs)
				fs.StringVar(&f.fingerprint, "fingerprint", "", "write the key only if the host presents this `SHA256:...` fingerprint")
				fs.BoolVar(&f.yes, "yes", false, "write the key without asking (trust on first use)")
				fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline for fetching the key")
				return func(e *env, in invocation) int { return runTrust(e, in.args[0], dirArg(in.args[1:]), f) }
			},
		}},
	})
}

// trustFlags are the flags of berth hosts trust.
type trustFlags struct {
	inv         *inventoryFlags
	fingerprint string
	yes         bool
	timeout     time.Duration
}

func runTrust(e *env, host, dir string, f *trustFlags) int {
	inv, ok := loadInventory(e, dir, f.inv)
	if !ok {
		return exitError
	}
	r, err := newResolver(e, inv)
	if err == nil {
		var cfg *conn.Config
		if cfg, err = r.ResolveName(host); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
			defer cancel()
			err = trustHost(e, ctx, cfg, f.fingerprint, f.yes)
		}
	}
	if err != nil {
		hostError(e, host, err)
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
