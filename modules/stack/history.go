package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"context"

	"github.com/berth-dev/berth/modules"
)

// DefaultKeep is how many deployed versions a host keeps for rollback and history.
const DefaultKeep = 3

// versionsDir holds one directory per deployed version: its files (the .env too, 0600
// under a 0700 directory) and its manifest, named "UTC-TIME-HASH12" so names sort by time.
func (r *Resource) versionsDir() string { return path.Join(r.stateDir(), "versions") }

// recordVersion keeps the deployed files and manifest (m, just written) as a version, then drops the oldest
// beyond Keep. It runs after the deploy turned healthy; a failure only costs history.
func (r *Resource) recordVersion(ctx context.Context, h modules.Host, m *Manifest, names []string) error {
	keep := r.spec.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	name := m.DeployedAt.UTC().Format("20060102T150405Z") + "-" + m.Hash[:min(12, len(m.Hash))]
	dir := path.Join(r.versionsDir(), name)
	lines := []string{"install -d -m 0700 " + q(r.versionsDir()), "rm -rf -- " + q(dir+".new"), "install -d -m 0700 " + q(dir+".new")}
	for _, rel := range names {
		src, dst := path.Join(r.spec.Dir, rel), path.Join(dir+".new", rel)
		lines = append(lines, fmt.Sprintf("mkdir -p %s && cp -p -- %s %s", q(path.Dir(dst)), q(src), q(dst)))
	}
	lines = append(lines,
		"cp -p -- "+q(r.manifestPath())+" "+q(path.Join(dir+".new", ManifestName)),
		"rm -rf -- "+q(dir), "mv -- "+q(dir+".new")+" "+q(dir),
		fmt.Sprintf("cd %s && ls -1d */ 2>/dev/null | sort -r | tail -n +%d | while read -r d; do rm -rf -- \"$d\"; done", q(r.versionsDir()), keep+1))
	return script(ctx, h, "keep version "+name+" of stack "+r.spec.Name, lines...)
}

// Version is one deployed version a host keeps.
type Version struct {
	Name     string    `json:"name"` // its directory under versions/
	Manifest *Manifest `json:"manifest"`
}

// HistoryProbe lists the versions of a stack a host keeps, newest first.
func HistoryProbe(name string) modules.Probe {
	dir := path.Join(StateRoot, name, "versions")
	return modules.CmdProbe("sh", "-c", `for d in $(ls -1d "$1"/*/ 2>/dev/null | sort -r); do printf '\036%s\n' "$(basename "$d")"; cat "$d/manifest.json" 2>/dev/null; echo; done`, "sh", dir)
}

// History reads HistoryProbe's result: versions newest first. Unreadable manifests are
// kept with a nil Manifest, so the listing still shows them.
func History(res modules.ProbeResult) []Version {
	var out []Version
	for _, part := range bytes.Split(res.Stdout, []byte{0x1e}) {
		name, body, _ := bytes.Cut(part, []byte("\n"))
		if len(bytes.TrimSpace(name)) == 0 {
			continue
		}
		v := Version{Name: string(bytes.TrimSpace(name))}
		var m Manifest
		if json.Unmarshal(bytes.TrimSpace(body), &m) == nil {
			v.Manifest = &m
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name > out[j].Name })
	return out
}

// String is one history line: when, by whom, content hash, images.
func (v Version) String() string {
	m := v.Manifest
	if m == nil {
		return v.Name + "  (manifest unreadable)"
	}
	var imgs []string
	for _, ref := range sortedKeys(m.Images) {
		id := strings.TrimPrefix(m.Images[ref], "sha256:")
		imgs = append(imgs, ref+" "+id[:min(12, len(id))])
	}
	by := m.DeployedBy
	if by == "" {
		by = "(unknown)"
	}
	return fmt.Sprintf("%s  by %s  hash %s  images %s", m.DeployedAt.UTC().Format("2006-01-02 15:04:05Z"), by, m.Hash[:min(12, len(m.Hash))], strings.Join(imgs, ", "))
}
