package docker

import (
	"context"
	"strings"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/file"
)

// repoKey installs Docker's signing key, verified by fingerprint.
type repoKey struct{ distro string }

// RepoResources returns the resources that configure Docker's apt repository.
func RepoResources(p Platform) []modules.Resource {
	return []modules.Resource{
		&repoKey{distro: p.Distro},
		file.New(file.Spec{Path: SourcesPath, Content: Sources(p), Mode: 0o644}),
	}
}

func (k *repoKey) Address() string { return "docker.repository-key" }

func (k *repoKey) Probes() []modules.Probe { return []modules.Probe{modules.FileProbe(KeyPath)} }

func (k *repoKey) Diff(obs []modules.ProbeResult) []modules.Change {
	if obs[0].Exists {
		return nil
	}
	return []modules.Change{{Address: k.Address(), Action: modules.Create, Op: "fetch",
		Reason: KeyPath + " is missing", After: "key " + KeyFingerprint}}
}

func (k *repoKey) Apply(ctx context.Context, h modules.Host, c modules.Change) error {
	res, err := h.Run(ctx, modules.Command{Argv: []string{"sh", "-s"}, Stdin: strings.NewReader(KeyScript(k.distro))})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return &modules.ExitError{Host: h.Name(), Doing: "install Docker's apt key", Result: res}
	}
	return nil
}
