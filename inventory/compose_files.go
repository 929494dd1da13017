package inventory

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/hashicorp/hcl/v2"
)

// BerthIgnoreName is the file of a stack directory that lists, in gitignore syntax, files
// berth must not ship.
const BerthIgnoreName = ".berthignore"

// checkProjectFiles refuses secret and config files compose reads from outside the stack
// directory (only the directory is shipped) or that are missing from it.
func checkProjectFiles(sd *stackDecl, p *types.Project, sf *stackFiles) hcl.Diagnostics {
	var diags hcl.Diagnostics
	check := func(kind string, objs map[string]types.FileObjectConfig) {
		for _, name := range sortedKeys(objs) {
			o := objs[name]
			if o.File == "" || bool(o.External) {
				continue
			}
			rel, inside := relToStack(sd.s.ComposeDir, o.File)
			switch {
			case !inside:
				diags = append(diags, errorf(sd.composeRng, "File outside the stack directory",
					"Stack %q: %s %q reads file %q, outside the stack directory; only the stack directory is shipped. Copy the file into it.", sd.s.Name, kind, name, o.File))
			case !hasFileOrDir(sf.files, rel):
				diags = append(diags, errorf(sd.composeRng, "Missing file",
					"Stack %q: %s %q reads file %q, which is not in the stack directory; compose on the host would fail.", sd.s.Name, kind, name, o.File))
			}
		}
	}
	secrets := map[string]types.FileObjectConfig{}
	for k, v := range p.Secrets {
		secrets[k] = types.FileObjectConfig(v)
	}
	configs := map[string]types.FileObjectConfig{}
	for k, v := range p.Configs {
		configs[k] = types.FileObjectConfig(v)
	}
	check("secret", secrets)
	check("config", configs)
	return diags
}

func hasFileOrDir(files map[string][]byte, rel string) bool {
	if _, ok := files[rel]; ok {
		return true
	}
	for f := range files {
		if strings.HasPrefix(f, rel+"/") {
			return true
		}
	}
	return false
}

// neededFiles are the files of the stack directory compose reads on the host: the services'
// env files, secret and config files, and everything under a relative bind mount source.
func neededFiles(dir string, p *types.Project, files map[string][]byte) map[string]bool {
	var roots []string
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		for _, ef := range svc.EnvFiles {
			roots = append(roots, ef.Path)
		}
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeBind && v.Source != "" {
				roots = append(roots, v.Source)
			}
		}
	}
	for _, s := range p.Secrets {
		roots = append(roots, s.File)
	}
	for _, c := range p.Configs {
		roots = append(roots, c.File)
	}
	need := map[string]bool{}
	for _, r := range roots {
		if r == "" {
			continue
		}
		rel, inside := relToStack(dir, r)
		if !inside {
			continue
		}
		for f := range files {
			if f == rel || rel == "." || strings.HasPrefix(f, rel+"/") {
				need[f] = true
			}
		}
	}
	return need
}

// shipSet chooses the files shipped beside the compose file: every file compose needs, plus
// the directory's other files unless .berthignore ignores them or they belong to a build
// context (images are built where berth runs; the host needs no sources). The compose files
// themselves are shipped merged as one (see shipCompose) and .env is the env file.
func shipSet(s *Stack, p *types.Project, sf *stackFiles, builds []Build) map[string][]byte {
	ignore := parseIgnore(sf.files[BerthIgnoreName], false)
	need := neededFiles(s.ComposeDir, p, sf.files)
	out := map[string][]byte{}
	for rel, data := range sf.files {
		switch {
		case rel == sf.compose || rel == sf.override || rel == ".env" || rel == BerthIgnoreName:
			continue
		case need[rel]:
		case ignore.ignored(rel) || inContext(rel, builds):
			continue
		}
		out[rel] = data
	}
	return out
}

func inContext(rel string, builds []Build) bool {
	for _, b := range builds {
		if b.Context == "." || rel == b.Context || strings.HasPrefix(rel, b.Context+"/") {
			return true
		}
	}
	return false
}

// lineOf finds, for a message, the line of key under service svc in a compose file: the first
// line "key:" after the line naming the service. 0 when not found (the key came from
// an override or extends). It locates; it does not interpret the YAML.
func lineOf(content []byte, svc, key string) int {
	svcLine := regexp.MustCompile(`^\s+["']?` + regexp.QuoteMeta(svc) + `["']?\s*:`)
	keyLine := regexp.MustCompile(`^\s+` + regexp.QuoteMeta(key) + `\s*:`)
	sc := bufio.NewScanner(bytes.NewReader(content))
	n, inSvc := 0, false
	for sc.Scan() {
		n++
		switch line := sc.Text(); {
		case !inSvc && svcLine.MatchString(line):
			inSvc = true
		case inSvc && keyLine.MatchString(line):
			return n
		}
	}
	return 0
}

// at formats FILE:LINE for a message, or FILE alone when the line is unknown.
func at(file string, line int) string {
	if line == 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}
