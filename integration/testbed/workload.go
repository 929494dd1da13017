package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// busyboxApplets are linked in the workload image's /bin.
var busyboxApplets = []string{"sh", "httpd", "wget", "echo", "cat", "sleep", "ls", "mkdir", "rm",
	"env", "test", "true", "false", "id", "ps", "kill", "nc", "date", "hostname"}

// Pushed is an image in a bed's registry.
type Pushed struct {
	Ref    string // as the hosts pull it: registry.test:5000/NAME:TAG
	Digest string // sha256:... of the manifest
}

// PushImage builds a FROM-scratch image of static busybox (with /tmp, httpd, wget, sh) plus
// files (path inside the image -> content; "#!" content is made executable) and pushes it to
// the bed's registry as name ("th-busybox:2"). Pushing again under the same tag is how a test
// publishes "a new image under the same tag".
func (b *Bed) PushImage(ctx context.Context, name string, files map[string]string) (Pushed, error) {
	if b.Registry == nil {
		return Pushed{}, errors.New("push image: the bed has no registry (Options.Registry)")
	}
	return b.Registry.push(ctx, name, files)
}

var digestRe = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`)

func (r *Registry) push(ctx context.Context, name string, files map[string]string) (Pushed, error) {
	return pushImage(ctx, r.PushAddress, r.Address, nil, name, files)
}

// pushImage builds the workload image as pushAddr/name and pushes it; the hosts pull it as
// pullAddr/name. global are docker's global options (--config DIR for a logged-in push).
func pushImage(ctx context.Context, pushAddr, pullAddr string, global []string, name string, files map[string]string) (Pushed, error) {
	dir, err := os.MkdirTemp("", "berth-testbed-image-")
	if err != nil {
		return Pushed{}, err
	}
	defer os.RemoveAll(dir)
	if err := busyboxTree(dir, files); err != nil {
		return Pushed{}, fmt.Errorf("image %s: %w", name, err)
	}
	local := pushAddr + "/" + name
	if err := importDir(ctx, dir, local, `CMD ["/bin/sh"]`, "ENV PATH=/bin"); err != nil {
		return Pushed{}, fmt.Errorf("image %s: %w", name, err)
	}
	defer docker(context.Background(), "rmi", local)
	out, err := docker(ctx, append(global, "push", local)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: %w", name, err)
	}
	m := digestRe.FindStringSubmatch(out)
	if m == nil {
		return Pushed{}, fmt.Errorf("push %s: no digest in %q", name, tail(out, 200))
	}
	return Pushed{Ref: pullAddr + "/" + name, Digest: m[1]}, nil
}

func busyboxTree(dir string, files map[string]string) error {
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("static busybox (package busybox-static): %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), bb, 0o755); err != nil {
		return err
	}
	for _, a := range busyboxApplets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o1777) // umask
	for p, content := range files {
		if err := addFile(dir, p, content); err != nil {
			return err
		}
	}
	return nil
}

func addFile(dir, p, content string) error {
	clean := filepath.Clean("/" + p)
	full := filepath.Join(dir, clean)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if strings.HasPrefix(content, "#!") {
		mode = 0o755
	}
	os.Remove(full)
	return os.WriteFile(full, []byte(content), mode)
}
