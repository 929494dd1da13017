package balancer

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// servers reads the server lines of a configuration: backend (or listen section) name ->
// server name -> "ADDRESS:PORT", with " weight N" appended when the weight is not the
// default. It reads any HAProxy file, not only berth's, so a plan can say what replacing a
// hand-written or packaged file does.
func servers(cfg []byte) map[string]map[string]string {
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "backend" || f[0] == "listen":
			section = ""
			if len(f) > 1 {
				section = f[1]
				if out[section] == nil {
					out[section] = map[string]string{}
				}
			}
		case isSection(f[0]):
			section = ""
		case f[0] == "server" && section != "" && len(f) > 2:
			out[section][f[1]] = serverValue(f[2:])
		}
	}
	return out
}

func isSection(word string) bool {
	switch word {
	case "global", "defaults", "frontend", "resolvers", "peers", "userlist", "mailers", "program", "cache", "ring", "http-errors":
		return true
	}
	return false
}

func serverValue(f []string) string {
	v := f[0]
	for i := 1; i+1 < len(f); i++ {
		if f[i] == "weight" && f[i+1] != "100" {
			v += " weight " + f[i+1]
		}
	}
	return v
}

// withoutServers is cfg without its server lines and comments: what is left differs when a
// frontend, a setting or a hand edit differs.
func withoutServers(cfg []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(cfg), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] == "server" || strings.HasPrefix(f[0], "#") {
			continue
		}
		b.WriteString(strings.Join(f, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// serverChanges describes, backend by backend, which servers replacing old by new adds (+),
// moves (~) and removes (-): "backend hello_http: + hello-1 10.77.1.12:20000, - hello-0
// 10.77.1.11:20000". Backends come in name order.
func serverChanges(old, new []byte) []string {
	before, after := servers(old), servers(new)
	var out []string
	for _, name := range unionKeys(before, after) {
		b, inOld := before[name]
		a, inNew := after[name]
		parts := serverParts(b, a)
		switch {
		case !inNew:
			out = append(out, "backend "+name+" removed")
		case !inOld && len(parts) == 0:
			out = append(out, "backend "+name+" added, no servers")
		case !inOld:
			out = append(out, "backend "+name+" added: "+strings.Join(parts, ", "))
		case len(parts) > 0:
			out = append(out, "backend "+name+": "+strings.Join(parts, ", "))
		}
	}
	return out
}

// serverParts lists added servers, then moved ones, then removed ones, each in name order.
func serverParts(before, after map[string]string) []string {
	var added, moved, removed []string
	for _, s := range unionKeys(before, after) {
		switch ov, nv := before[s], after[s]; {
		case ov == "":
			added = append(added, "+ "+s+" "+nv)
		case nv == "":
			removed = append(removed, "- "+s+" "+ov)
		case ov != nv:
			moved = append(moved, fmt.Sprintf("~ %s %s -> %s", s, ov, nv))
		}
	}
	return append(append(added, moved...), removed...)
}

// unionKeys returns the keys of both maps, servers ordered as Render orders them.
func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return naturalLess(keys[i], keys[j]) })
	return keys
}

// counts summarises a configuration for a plan: "1 frontend, 1 backend, 2 servers".
func counts(cfg []byte) string {
	var fronts, backs, srvs int
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "frontend":
			fronts++
		case "backend", "listen":
			backs++
		case "server":
			srvs++
		}
	}
	return fmt.Sprintf("%s, %s, %s", plural(fronts, "frontend"), plural(backs, "backend"), plural(srvs, "server"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
