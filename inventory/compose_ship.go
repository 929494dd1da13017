package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	composeloader "github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// shippedCompose is the compose file berth ships to the hosts. Compose merges the ports of
// every file it is given, so the host ports berth publishes (berth.override.yml) would add to
// the ones the user's file already publishes: the shipped file must not have them. It is
// built without parsing YAML by hand, from compose-go's own model of the stack's compose file
// and override:
//
//   - loaded with interpolation skipped, so ${VAR} stays for compose on the host to fill from
//     .env (the env file's values are never written into it);
//   - extends and the user's override already merged (the extended files are not needed);
//   - every service's ports and build removed (berth publishes the ports and builds the images);
//   - the canonical long forms compose-go produces put back into the short forms docker-compose
//     1.29 (v1) accepts too: depends_on lists, volume and device strings, env_file paths;
//   - written as JSON, which is YAML to both compose generations, with sorted keys: the same
//     project always gives the same bytes.
//
// extends lists the files extends: referenced, relative to the stack directory.
type shippedCompose struct {
	doc     []byte
	version string
	extends []string
}

func shipCompose(s *Stack, sf *stackFiles, images map[string]string) (*shippedCompose, error) {
	files := []types.ConfigFile{{Filename: filepath.Join(s.ComposeDir, sf.compose), Content: sf.files[sf.compose]}}
	if sf.override != "" {
		files = append(files, types.ConfigFile{Filename: filepath.Join(s.ComposeDir, sf.override), Content: sf.files[sf.override]})
	}
	out := &shippedCompose{}
	listen := func(event string, meta map[string]any) {
		if f, ok := meta["file"].(string); ok && event == "extends" {
			out.extends = append(out.extends, f)
		}
	}
	m, err := composeloader.LoadModelWithContext(context.Background(), types.ConfigDetails{WorkingDir: s.ComposeDir, ConfigFiles: files},
		func(o *composeloader.Options) {
			o.SkipInterpolation, o.SkipNormalization, o.ResolvePaths = true, true, false
			o.SkipDefaultValues, o.SkipValidation, o.SkipResolveEnvironment = true, true, true
			o.SkipConsistencyCheck, o.SkipResolveLabels = true, true
			o.SetProjectName(s.Name, true)
			o.Listeners = append(o.Listeners, listen)
		})
	if err != nil {
		return nil, err
	}
	if v, ok := m["version"].(string); ok {
		out.version = v
	}
	services, _ := m["services"].(map[string]any)
	for name, raw := range services {
		svc, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		delete(svc, "ports")
		if _, built := svc["build"]; built {
			delete(svc, "build")
			if ref := images[name]; ref != "" {
				svc["image"] = ref
			}
		}
		shortForms(svc)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode the shipped compose file: %w", err)
	}
	out.doc = b.Bytes()
	sort.Strings(out.extends)
	return out, nil
}

// shortForms rewrites, in one service of the model, the long forms compose-go's canonical
// model uses into the short ones both compose generations read.
func shortForms(svc map[string]any) {
	if deps, ok := svc["depends_on"].(map[string]any); ok {
		svc["depends_on"] = shortDependsOn(deps)
	}
	if efs, ok := svc["env_file"].([]any); ok {
		var paths []any
		for _, e := range efs {
			if m, ok := e.(map[string]any); ok {
				if p, ok := m["path"].(string); ok {
					paths = append(paths, p)
				}
				continue
			}
			paths = append(paths, e)
		}
		svc["env_file"] = paths
	}
	if vs, ok := svc["volumes"].([]any); ok {
		for i, v := range vs {
			vs[i] = shortVolume(v)
		}
	}
	if ds, ok := svc["devices"].([]any); ok {
		for i, d := range ds {
			ds[i] = shortDevice(d)
		}
	}
	for _, key := range []string{"secrets", "configs"} {
		if refs, ok := svc[key].([]any); ok {
			for i, r := range refs {
				if m, ok := r.(map[string]any); ok && len(m) == 1 && m["source"] != nil {
					refs[i] = m["source"]
				}
			}
		}
	}
}

// shortDependsOn is a list when every dependency only waits for its start, else the map with
// the condition alone (compose v1 knows no "required" or "restart").
func shortDependsOn(deps map[string]any) any {
	names := sortedKeys(deps)
	plain := true
	for _, n := range names {
		m, _ := deps[n].(map[string]any)
		if c, _ := m["condition"].(string); c != "" && c != "service_started" {
			plain = false
		}
		if r, ok := m["required"].(bool); ok && !r {
			plain = false
		}
	}
	if plain {
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = n
		}
		return out
	}
	out := map[string]any{}
	for _, n := range names {
		m, _ := deps[n].(map[string]any)
		c, _ := m["condition"].(string)
		if c == "" {
			c = "service_started"
		}
		out[n] = map[string]any{"condition": c}
	}
	return out
}

// shortVolume writes a bind or volume mount with nothing beyond source, target and read-only
// as "SOURCE:TARGET[:ro]"; other mounts keep the long form without create_host_path.
func shortVolume(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	typ, _ := m["type"].(string)
	src, _ := m["source"].(string)
	tgt, _ := m["target"].(string)
	simple := (typ == "bind" || typ == "volume") && tgt != ""
	for k, val := range m {
		switch k {
		case "type", "source", "target", "read_only":
		case "bind":
			if b, _ := val.(map[string]any); len(b) > 1 || (len(b) == 1 && b["create_host_path"] == nil) {
				simple = false
			}
		case "volume":
			if vv, _ := val.(map[string]any); len(vv) > 0 {
				simple = false
			}
		default:
			simple = false
		}
	}
	if !simple {
		if b, ok := m["bind"].(map[string]any); ok {
			delete(b, "create_host_path")
			if len(b) == 0 {
				delete(m, "bind")
			}
		}
		return m
	}
	s := tgt
	if src != "" {
		s = src + ":" + tgt
	}
	if ro, _ := m["read_only"].(bool); ro {
		s += ":ro"
	}
	return s
}

func shortDevice(d any) any {
	m, ok := d.(map[string]any)
	if !ok {
		return d
	}
	src, _ := m["source"].(string)
	tgt, _ := m["target"].(string)
	s := src + ":" + tgt
	if p, _ := m["permissions"].(string); p != "" && p != "rwm" {
		s += ":" + p
	}
	return s
}

// relToStack turns a path compose-go reports (relative to the stack directory or absolute)
// into one relative to the stack directory, slash-separated, and says whether it stays inside.
func relToStack(dir, p string) (string, bool) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, p)
	}
	abs = filepath.Clean(abs)
	rel, err := filepath.Rel(dir, abs)
	if err != nil || !isBelow(dir, abs) {
		return p, false
	}
	return filepath.ToSlash(rel), !strings.HasPrefix(rel, "..")
}
