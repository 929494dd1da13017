package provisioner

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/modules/stack"
)

// LocalImages inspects, in the Docker daemon of the machine running berth, the images of every
// stack with images = "ship": the plan compares their IDs with the hosts' to ship only what a
// host lacks. An image missing locally is left out; the plan then says to build or pull it.
func LocalImages(ctx context.Context, inv *inventory.Inventory) (map[string]stack.LocalImage, error) {
	out := map[string]stack.LocalImage{}
	for _, s := range inv.Stacks {
		if s.Images != stack.ImagesShip {
			continue
		}
		for _, ref := range stack.Images(s.Project) {
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
