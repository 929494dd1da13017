package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// HostSpec asks for one host.
type HostSpec struct {
	Release string // Bookworm or Trixie
	Docker  bool   // the image with docker.io, docker-compose and rsyslog preinstalled
}

// Options describe a bed.
type Options struct {
	Hosts    []HostSpec
	Registry bool      // run a TLS registry at registry.test:5000 with th-busybox:1 pushed
	Log      io.Writer // progress and timings; nil for silence
	// Keep marks the bed as started by hand: it is never reaped and its work dir lives under the
	// cache dir instead of the temp dir. Remove it with Remove(ctx, bed.Prefix).
	Keep bool
}

// Bed is a running set of hosts. It is plain data (the testbed command saves it as JSON).
type Bed struct {
	Prefix     string    // names and labels everything the bed created
	Network    string    // its Docker network
	Subnet     string    // 10.77.X.0/24
	Dir        string    // work dir: client key, known_hosts
	KeyFile    string    // the test user's private key
	KnownHosts string    // known_hosts with every host's real keys
	Hosts      []*Host   // in the order asked for, named h1, h2, ...
	Registry   *Registry // nil unless asked for
	Keep       bool
}

// Start starts a bed: it makes sure the Docker engine runs (EnsureEngine), reaps leftovers of dead processes, builds missing images, creates the
// network, registry and hosts, and returns once every host accepts the test user over SSH with
// strict host key checking. On failure everything started is removed again.
func Start(ctx context.Context, opts Options) (_ *Bed, err error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := EnsureEngine(ctx, opts.Log); err != nil {
		return nil, err
	}
	if err := Reap(ctx, opts.Log); err != nil {
		logf(opts.Log, "testbed: reap: %v", err) // leftovers must not stop a new bed
	}
	images, err := hostImages(ctx, opts)
	if err != nil {
		return nil, err
	}
	b := &Bed{Prefix: newPrefix(), Keep: opts.Keep}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if err := b.setUp(ctx, opts); err != nil {
		return nil, err
	}
	if err := b.startHosts(ctx, opts, images); err != nil {
		return nil, err
	}
	logf(opts.Log, "testbed: bed %s with %d hosts ready in %s", b.Prefix, len(b.Hosts), time.Since(t0).Round(100*time.Millisecond))
	return b, nil
}

func checkOptions(opts Options) error {
	if len(opts.Hosts) == 0 {
		return errors.New("start test bed: no hosts asked for")
	}
	for _, h := range opts.Hosts {
		if err := checkRelease(h.Release); err != nil {
			return fmt.Errorf("start test bed: %w", err)
		}
	}
	return nil
}

// hostImages ensures the image of every host, in the order of opts.Hosts.
func hostImages(ctx context.Context, opts Options) ([]string, error) {
	var images []string
	for _, h := range opts.Hosts {
		img, err := EnsureImage(ctx, opts.Log, h.Release, h.Docker)
		if err != nil {
			return nil, err
		}
		images = append(images, img)
	}
	return images, nil
}

// setUp makes the work dir, client key, network and registry.
func (b *Bed) setUp(ctx context.Context, opts Options) error {
	b.Dir = workDir(b.Prefix, b.Keep)
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return fmt.Errorf("create bed dir: %w", err)
	}
	b.KeyFile = filepath.Join(b.Dir, "id_ed25519")
	b.KnownHosts = filepath.Join(b.Dir, "known_hosts")
	b.Network = b.Prefix + "-net"
	x, err := createNetwork(ctx, b.Network, b.Prefix, b.Keep)
	if err != nil {
		return err
	}
	b.Subnet = fmt.Sprintf("10.77.%d.0/24", x)
	if opts.Registry {
		if b.Registry, err = startRegistry(ctx, opts.Log, b, addr(x, 2)); err != nil {
			return err
		}
	}
	return nil
}

func workDir(prefix string, keep bool) string {
	if keep {
		return filepath.Join(CacheDir(), "beds", prefix)
	}
	return filepath.Join(os.TempDir(), "berth-testbed-"+prefix)
}

// startHosts runs the containers, then prepares and awaits all hosts in parallel.
func (b *Bed) startHosts(ctx context.Context, opts Options, images []string) error {
	pub, err := writeClientKey(b.KeyFile)
	if err != nil {
		return err
	}
	x := strings.Split(b.Subnet, ".")[2]
	for i, spec := range opts.Hosts {
		h := &Host{Name: fmt.Sprintf("h%d", i+1), Container: fmt.Sprintf("%s-h%d", b.Prefix, i+1),
			Address: fmt.Sprintf("10.77.%s.%d", x, 11+i), User: TestUser, KeyFile: b.KeyFile,
			KnownHosts: b.KnownHosts, Release: spec.Release, Docker: spec.Docker, Network: b.Network}
		if err := b.runHost(ctx, h, images[i]); err != nil {
			return err
		}
		b.Hosts = append(b.Hosts, h)
	}
	if err := b.eachHost(func(h *Host) error { return b.prepareHost(ctx, h, pub) }); err != nil {
		return err
	}
	if err := b.writeKnownHosts(); err != nil {
		return err
	}
	return b.eachHost(func(h *Host) error {
		if err := h.WaitSSH(ctx, 90*time.Second); err != nil {
			return err
		}
		return h.WaitBooted(ctx, 2*time.Minute)
	})
}

// eachHost runs f on every host in parallel and joins the errors.
func (b *Bed) eachHost(f func(*Host) error) error {
	errs := make([]error, len(b.Hosts))
	var wg sync.WaitGroup
	for i, h := range b.Hosts {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(h) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (b *Bed) writeKnownHosts() error {
	var all []string
	for _, h := range b.Hosts {
		all = append(all, h.HostKeyLine)
	}
	return WriteFileAtomic(b.KnownHosts, []byte(strings.Join(all, "\n")+"\n"), 0o644)
}

// Close removes everything the bed started: containers, volumes, network and work dir.
func (b *Bed) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return Remove(ctx, b.Prefix)
}

// Host returns the host of that name ("h1"), or nil.
func (b *Bed) Host(name string) *Host {
	for _, h := range b.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}
