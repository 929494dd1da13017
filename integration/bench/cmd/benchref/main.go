package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/berth-dev/berth/integration/bench"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

type options struct {
	fleet bench.Fleet
	mode  string
	key   string
	known string
}

func main() {
	var o options
	flag.IntVar(&o.fleet.N, "n", 1, "hosts")
	flag.IntVar(&o.fleet.K, "k", 10, "files per host")
	flag.IntVar(&o.fleet.Port, "port", 22022, "sshd port")
	flag.StringVar(&o.fleet.Dir, "dir", "/tmp/berth-bench", "bench directory")
	flag.StringVar(&o.mode, "mode", "check", "check, upload or true")
	flag.StringVar(&o.key, "key", "", "private key")
	flag.StringVar(&o.known, "known-hosts", "", "known_hosts file")
	flag.Parse()
	cfg, err := clientConfig(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchref:", err)
		os.Exit(1)
	}
	os.Exit(run(o, cfg))
}

func clientConfig(o options) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(o.key)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", o.key, err)
	}
	hk, err := knownhosts.New(o.known)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk}, nil
}

// run works on every host at once and returns 1 if a host failed, 2 if a file differed.
func run(o options, cfg *ssh.ClientConfig) int {
	var wg sync.WaitGroup
	var failed, differ atomic.Int32
	for i := 1; i <= o.fleet.N; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := oneHost(context.Background(), o, cfg, i)
			if err != nil {
				fmt.Fprintf(os.Stderr, "benchref: %s: %v\n", bench.HostName(i), err)
				failed.Add(1)
			}
			differ.Add(int32(d))
		}()
	}
	wg.Wait()
	fmt.Printf("%d hosts, %d failed, %d files differ\n", o.fleet.N, failed.Load(), differ.Load())
	switch {
	case failed.Load() > 0:
		return 1
	case differ.Load() > 0:
		return 2
	}
	return 0
}

func oneHost(ctx context.Context, o options, cfg *ssh.ClientConfig, i int) (int, error) {
	c, err := ssh.Dial("tcp", net.JoinHostPort(bench.Addr(i), strconv.Itoa(o.fleet.Port)), cfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	switch o.mode {
	case "check":
		return check(c, o.fleet, i)
	case "upload":
		return 0, upload(c, o.fleet, i)
	case "true":
		return 0, command(c, "true", nil)
	}
	return 0, fmt.Errorf("unknown mode %q", o.mode)
}

// check runs one sha256sum of the K files and counts the files whose hash is not expected.
func check(c *ssh.Client, f bench.Fleet, i int) (int, error) {
	args := []string{"sha256sum", "--"}
	for j := 0; j < f.K; j++ {
		args = append(args, shellQuote(f.FilePath(i, j)))
	}
	var out strings.Builder
	if err := command(c, strings.Join(args, " "), &out); err != nil && out.Len() == 0 {
		return 0, err
	}
	got := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if sum, path, ok := strings.Cut(line, "  "); ok {
			got[path] = sum
		}
	}
	differ := 0
	for j := 0; j < f.K; j++ {
		want := sha256.Sum256([]byte(bench.Content(i, j)))
		if got[f.FilePath(i, j)] != hex.EncodeToString(want[:]) {
			differ++
		}
	}
	return differ, nil
}

func command(c *ssh.Client, cmd string, out *strings.Builder) error {
	s, err := c.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	if out != nil {
		s.Stdout = out
	}
	return s.Run(cmd)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
