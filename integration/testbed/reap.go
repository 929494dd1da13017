package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Reap removes the containers, volumes and networks of beds whose process is gone (a test
// binary killed by a timeout or ^C), and their work dirs. Kept beds are left alone. Start
// calls it.
func Reap(ctx context.Context, log io.Writer) error {
	dead, err := deadBeds(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range dead {
		logf(log, "testbed: reaping bed %s left by a dead process", p)
		errs = append(errs, Remove(ctx, p))
	}
	return errors.Join(errs...)
}

// deadBeds lists the prefixes of unkept beds whose owner is not alive.
func deadBeds(ctx context.Context) ([]string, error) {
	format := `{{.Label "` + labelBed + `"}}|{{.Label "` + labelOwner + `"}}|{{.Label "` + labelKeep + `"}}`
	var rows []string
	for _, kind := range [][]string{{"ps", "-a"}, {"volume", "ls"}, {"network", "ls"}} {
		args := append(kind, "--filter", "label="+labelBed, "--format", format)
		out, err := docker(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("list test bed leftovers: %w", err)
		}
		rows = append(rows, lines(out)...)
	}
	seen := map[string]bool{}
	var dead []string
	for _, r := range rows {
		f := strings.Split(r, "|")
		if len(f) != 3 || f[0] == "" || f[2] == "1" || ownerAlive(f[1]) || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		dead = append(dead, f[0])
	}
	sort.Strings(dead)
	return dead, nil
}

// Remove takes down everything labelled with a bed's prefix: containers (with their anonymous
// volumes), named volumes, the network, and the bed's work dir.
func Remove(ctx context.Context, prefix string) error {
	filter := "label=" + labelBed + "=" + prefix
	var errs []error
	ids, err := docker(ctx, "ps", "-aq", "--filter", filter)
	errs = append(errs, err)
	if ids := lines(ids); len(ids) > 0 {
		_, err := docker(ctx, append([]string{"rm", "-f", "-v"}, ids...)...)
		errs = append(errs, err)
	}
	vols, err := docker(ctx, "volume", "ls", "-q", "--filter", filter)
	errs = append(errs, err)
	if vols := lines(vols); len(vols) > 0 {
		_, err := docker(ctx, append([]string{"volume", "rm", "-f"}, vols...)...)
		errs = append(errs, err)
	}
	nets, err := docker(ctx, "network", "ls", "-q", "--filter", filter)
	errs = append(errs, err)
	if nets := lines(nets); len(nets) > 0 {
		_, err := docker(ctx, append([]string{"network", "rm"}, nets...)...)
		errs = append(errs, err)
	}
	errs = append(errs, os.RemoveAll(workDir(prefix, false)), os.RemoveAll(workDir(prefix, true)))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove test bed %s: %w", prefix, err)
	}
	return nil
}
