package inventory

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	composeloader "github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/hashicorp/hcl/v2"

	"github.com/berth-dev/berth/secret"
)

// loadComposeAll loads every stack's compose project, a few at a time.
func (l *loader) loadComposeAll(decls []*stackDecl) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, sd := range decls {
		if !sd.ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sd.diags = loadCompose(sd)
		}()
	}
	wg.Wait()
	for _, sd := range decls {
		l.diags = append(l.diags, sd.diags...)
	}
}

// loadCompose loads a stack directory the way docker compose on the host will see it: the
// env file is the project's .env (interpolation), the project name is the stack name, the
// stack's profiles are active. The local environment is not used: the host's is not ours.
func loadCompose(sd *stackDecl) hcl.Diagnostics {
	s := sd.s
	sf, err := readStackDir(s.ComposeDir)
	if err != nil {
		return hcl.Diagnostics{errorf(sd.composeRng, "Invalid stack directory", "Stack %q: %s.", s.Name, err)}
	}
	if _, ok := sf.files[".env"]; ok {
		if s.EnvFile != "" {
			return hcl.Diagnostics{errorf(sd.envRng, "Two env files", "Stack %q sets env_file, which is shipped as the stack's .env, but its directory has a .env too; keep one (the env_file, outside the stack directory, is the usual place for secrets).", s.Name)}
		}
		s.Env, s.EnvFile = secret.Bytes(sf.files[".env"]), filepath.Join(sd.composeRel, ".env")
	}
	delete(sf.files, ".env")
	yamls := map[string][]byte{}
	for _, k := range []string{sf.compose, sf.override} {
		if k != "" {
			yamls[k] = sf.files[k]
		}
	}
	envMap, err := envFromSecret(s)
	if err != nil {
		return hcl.Diagnostics{errorf(sd.envRng, "Invalid env file", "Stack %q: %s.", s.Name, err)}
	}
	w := &composeWarnings{missing: map[string]bool{}}
	p, err := composeProject(s, sf, envMap, w.lookupOption)
	if err != nil {
		msg := redactString(cleanComposeErr(err, s.ComposeDir), envValues(envMap))
		return hcl.Diagnostics{errorf(sd.composeRng, "Invalid compose project", "Stack %q: compose could not load %s: %s.", s.Name, sd.relCompose(sf.compose), msg)}
	}
	s.Project = p
	diags := w.diags(sd, yamls)
	if d := checkServiceEnvFiles(sd, p); d != nil {
		diags = append(diags, d)
	}
	diags = append(diags, checkProjectFiles(sd, p, sf)...)
	builds, bd := sd.builds(p, sf)
	diags = append(diags, bd...)
	if diags.HasErrors() {
		return diags
	}
	s.Builds = builds
	images := map[string]string{}
	for _, b := range builds {
		images[b.Service] = b.Tag
		svc := p.Services[b.Service]
		svc.Image = b.Tag
		p.Services[b.Service] = svc
	}
	shipped, err := shipCompose(s, sf, images)
	if err != nil {
		return append(diags, errorf(sd.composeRng, "Invalid compose project", "Stack %q: %s.", s.Name, cleanComposeErr(err, s.ComposeDir)))
	}
	for _, f := range shipped.extends {
		if _, inside := relToStack(s.ComposeDir, f); !inside {
			diags = append(diags, errorf(sd.composeRng, "File outside the stack directory",
				"Stack %q: extends.file %q is outside the stack directory; only the stack directory is shipped. Copy the file into it.", s.Name, f))
		}
	}
	s.ComposeFile, s.ComposeVersion = shipped.doc, shipped.version
	s.SourceFile, s.SourceText = sd.relCompose(sf.compose), sf.files[sf.compose]
	s.ConfigFiles = shipSet(s, p, sf, builds)
	m, _ := parseDotEnv(s.Env)
	redactProject(p, m)
	return diags
}

func composeProject(s *Stack, sf *stackFiles, envMap []string, lookup func(*composeloader.Options)) (*types.Project, error) {
	paths := []string{filepath.Join(s.ComposeDir, sf.compose)}
	if sf.override != "" {
		paths = append(paths, filepath.Join(s.ComposeDir, sf.override))
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(s.ComposeDir),
		cli.WithName(s.Name),
		cli.WithEnv(envMap),
		cli.WithProfiles(s.Profiles),
		cli.WithResolvedPaths(false),
		cli.WithLoadOptions(func(o *composeloader.Options) { o.SkipResolveEnvironment = true }, lookup),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// envFromSecret parses the env file with compose's own dotenv parser so interpolation matches.
func envFromSecret(s *Stack) ([]string, error) {
	if len(s.Env) == 0 {
		return nil, nil
	}
	m, err := parseDotEnv(s.Env)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out, nil
}

// cleanComposeErr shortens absolute paths in compose errors to stack-relative ones.
func cleanComposeErr(err error, dir string) string {
	return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
}

// checkServiceEnvFiles refuses service env_file entries that leave the stack directory or
// are missing (unless marked required: false), since compose on the host would fail.
func checkServiceEnvFiles(sd *stackDecl, p *types.Project) *hcl.Diagnostic {
	for _, name := range p.ServiceNames() {
		for _, ef := range p.Services[name].EnvFiles {
			abs := ef.Path
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(sd.s.ComposeDir, abs)
			}
			if !isBelow(sd.s.ComposeDir, filepath.Clean(abs)) {
				return errorf(sd.composeRng, "Invalid compose project", "Stack %q: service %q has env_file %q outside the stack directory; only the stack directory is shipped.", sd.s.Name, name, ef.Path)
			}
			// The stack's env_file is shipped as .env in the stack directory: a service that
			// reads it (env_file: .env) finds it there on the host.
			shipped := sd.s.EnvFile != "" && filepath.Clean(abs) == filepath.Join(sd.s.ComposeDir, ".env")
			if _, err := os.Stat(abs); err != nil && bool(ef.Required) && !shipped {
				return errorf(sd.composeRng, "Missing env file", "Stack %q: service %q needs env_file %q, which is not in the stack directory.", sd.s.Name, name, ef.Path)
			}
		}
	}
	return nil
}

func (sd *stackDecl) relCompose(name string) string {
	return filepath.Join(sd.composeRel, name)
}
