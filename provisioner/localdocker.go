package provisioner

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules/stack"
	"github.com/berth-dev/berth/secret"
)

// LocalImages builds, in the Docker daemon of the machine running berth, the images of the
// stacks' build: sections that it does not have yet (they are tagged by content: an image
// present under its tag is up to date), then inspects the images of every stack with
// images = "ship" and every built one: the plan compares their IDs with the hosts' to ship
// only what a host lacks. A failed build is an error: no host is contacted. An image missing
// locally is left out; the plan then says to build or pull it.
func LocalImages(ctx context.Context, inv *inventory.Inventory) (map[string]stack.LocalImage, error) {
	if err := BuildImages(ctx, inv); err != nil {
		return nil, err
	}
	out := map[string]stack.LocalImage{}
	for _, s := range inv.Stacks {
		refs := builtRefs(s)
		if s.Images == stack.ImagesShip {
			refs = stack.Images(s.Project)
		}
		for _, ref := range refs {
			if _, done := out[ref]; done {
				continue
			}
			b, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}} {{.Size}}", "--", ref).Output()
			if err != nil {
				if _, notFound := err.(*exec.ExitError); notFound {
					continue
				}
				return nil, fmt.Errorf("inspect local image %s (stack %s ships its images): %w", ref, s.Name, err)
			}
			var img stack.LocalImage
			if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &img.ID, &img.Size); err != nil {
				return nil, fmt.Errorf("inspect local image %s: %q: %w", ref, b, err)
			}
			out[ref] = img
		}
	}
	return out, nil
}

// SaveLocalImage streams `docker save REF` from the machine running berth.
func SaveLocalImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, "docker", "save", "--", ref)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("docker save %s: %w", ref, err)
	}
	return &savedImage{ReadCloser: out, cmd: cmd, stderr: &stderr}, nil
}

// savedImage reports docker save's failure when the stream is closed.
type savedImage struct {
	io.ReadCloser
	cmd    *exec.Cmd
	stderr *strings.Builder
}

func (s *savedImage) Close() error {
	s.ReadCloser.Close()
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("docker save: %w: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	return nil
}

// BuildImages runs docker build for every build: of the stacks whose tag the local daemon
// lacks, one at a time (the machine's cores are better spent on one build).
func BuildImages(ctx context.Context, inv *inventory.Inventory) error {
	for _, s := range inv.Stacks {
		for _, b := range s.Builds {
			if exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", "--", b.Tag).Run() == nil {
				continue
			}
			if err := buildImage(ctx, s, b, inv.Masker()); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildImage runs one docker build. Build args go by name on the command line and by value
// in docker's environment (`--build-arg NAME` reads NAME from it): a value may come from the
// env file, and no secret goes on a command line, here either. The build's output, quoted
// when it fails, is masked.
func buildImage(ctx context.Context, s *inventory.Stack, b inventory.Build, mask *secret.Masker) error {
	dir := filepath.Join(s.ComposeDir, filepath.FromSlash(b.Context))
	argv := []string{"build", "--tag", b.Tag, "--file", filepath.Join(dir, filepath.FromSlash(b.Dockerfile))}
	if b.Target != "" {
		argv = append(argv, "--target", b.Target)
	}
	env := os.Environ()
	for _, k := range slices.Sorted(maps.Keys(b.Args)) {
		argv = append(argv, "--build-arg", k)
		env = append(env, k+"="+b.Args[k])
	}
	argv = append(argv, dir)
	cmd := exec.CommandContext(ctx, "docker", argv...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build image %s of stack %s, service %s (context %s): %w\n%s", b.Tag, s.Name, b.Service, b.Context, err, mask.Text(lastLines(string(out), 15)))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
