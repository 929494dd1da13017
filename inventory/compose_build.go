package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/hashicorp/hcl/v2"
)

// builds reads the build: sections of the active services. berth builds each image with the
// Docker engine where it runs (docker build: a context directory of the stack and a
// Dockerfile, with target and args), tags it by the content of its context and ships it;
// forms it cannot build that way are refused with the file and line.
func (sd *stackDecl) builds(p *types.Project, sf *stackFiles) ([]Build, hcl.Diagnostics) {
	var out []Build
	var diags hcl.Diagnostics
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		if svc.Build == nil {
			continue
		}
		where := at(sd.relCompose(sf.compose), lineOf(sf.files[sf.compose], name, "build"))
		if why := unsupportedBuild(svc.Build); why != "" {
			diags = append(diags, errorf(sd.composeRng, "Unsupported build",
				"%s: stack %q, service %q: %s. berth builds with `docker build CONTEXT` where it runs: a context directory inside the stack directory, a Dockerfile, target and args.", where, sd.s.Name, name, why))
			continue
		}
		b, err := sd.build(name, svc, sf)
		if err != "" {
			diags = append(diags, errorf(sd.composeRng, "Unsupported build", "%s: stack %q, service %q: %s.", where, sd.s.Name, name, err))
			continue
		}
		out = append(out, b)
	}
	return out, diags
}

// unsupportedBuild names the first build option berth does not carry out, or "".
func unsupportedBuild(b *types.BuildConfig) string {
	ctx := b.Context
	switch {
	case strings.Contains(ctx, "://") || strings.HasPrefix(ctx, "git@") || strings.HasPrefix(ctx, "github.com/"):
		return fmt.Sprintf("a remote build context (%s) is not supported", ctx)
	case b.DockerfileInline != "":
		return "dockerfile_inline is not supported; put the Dockerfile in the context"
	case len(b.AdditionalContexts) > 0:
		return "additional_contexts is not supported"
	case len(b.SSH) > 0:
		return "build.ssh is not supported"
	case len(b.Secrets) > 0:
		return "build secrets are not supported"
	case len(b.Platforms) > 1:
		return "building for several platforms is not supported"
	case len(b.Entitlements) > 0:
		return "build entitlements are not supported"
	}
	return ""
}

func (sd *stackDecl) build(name string, svc types.ServiceConfig, sf *stackFiles) (Build, string) {
	ctx, inside := relToStack(sd.s.ComposeDir, svc.Build.Context)
	if svc.Build.Context == "" {
		ctx, inside = ".", true
	}
	if !inside {
		return Build{}, fmt.Sprintf("build context %q is outside the stack directory", svc.Build.Context)
	}
	df := svc.Build.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if path.IsAbs(df) {
		return Build{}, fmt.Sprintf("dockerfile %q must be relative to the build context", df)
	}
	dfRel := path.Clean(path.Join(ctx, df))
	if _, ok := sf.files[dfRel]; !ok {
		return Build{}, fmt.Sprintf("no %s in the stack directory (dockerfile %q of context %q)", dfRel, df, ctx)
	}
	b := Build{Service: name, Context: ctx, Dockerfile: df, Target: svc.Build.Target, Args: map[string]string{}}
	for k, v := range svc.Build.Args {
		if v != nil {
			b.Args[k] = *v
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "dockerfile %q target %q\n", df, b.Target)
	for _, k := range sortedKeys(b.Args) {
		fmt.Fprintf(h, "arg %q %q\n", k, b.Args[k])
	}
	prefix := ctx + "/"
	if ctx == "." {
		prefix = ""
	}
	ignore := parseIgnore(sf.files[prefix+".dockerignore"], true)
	for _, rel := range sortedFileNames(sf.files) {
		if !strings.HasPrefix(rel, prefix) || ignore.ignored(strings.TrimPrefix(rel, prefix)) {
			continue
		}
		sum := sha256.Sum256(sf.files[rel])
		fmt.Fprintf(h, "file %q %x\n", strings.TrimPrefix(rel, prefix), sum)
		b.Files++
		b.Size += int64(len(sf.files[rel]))
	}
	b.Tag = buildRepo(sd.s.Name, name, svc.Image) + ":" + hex.EncodeToString(h.Sum(nil))[:12]
	return b, ""
}

// buildRepo is the repository a built image is tagged in: the service's image without its
// tag, or berth/STACK-SERVICE.
func buildRepo(stack, svc, image string) string {
	if image == "" {
		return strings.ToLower("berth/" + stack + "-" + svc)
	}
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}
