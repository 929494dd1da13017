package integration

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/integration/testbed"
)

// What TestStack reads on the hosts and in berth's output.

// shopContainers is, per host, the IDs of the shop's containers (sorted, one line).
func shopContainers(t *testing.T, bed *testbed.Bed) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, h := range bed.Hosts {
		out := hostOut(t, h, "sh", "-c", "docker ps -aq --no-trunc --filter label=com.docker.compose.project=shop | sort | tr '\\n' ' '")
		if strings.TrimSpace(out) == "" {
			t.Fatalf("%s: no shop containers", h.Name)
		}
		ids[h.Name] = strings.TrimSpace(out)
	}
	return ids
}

// wantRecreated fails unless every shop container on every host is new since before.
func wantRecreated(t *testing.T, bed *testbed.Bed, before map[string]string) {
	t.Helper()
	after := shopContainers(t, bed)
	for _, h := range bed.Hosts {
		for _, id := range strings.Fields(before[h.Name]) {
			if strings.Contains(after[h.Name], id) {
				t.Errorf("%s: container %.12s was not recreated", h.Name, id)
			}
		}
	}
}

// webImages is, per host, the ID of the image the shop's web container runs.
func webImages(t *testing.T, bed *testbed.Bed) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, h := range bed.Hosts {
		ids[h.Name] = hostOut(t, h, "sh", "-c", "docker inspect --format '{{.Image}}' "+shopWeb)
	}
	return ids
}

const shopWeb = "$(docker ps -q --filter label=com.docker.compose.project=shop --filter label=com.docker.compose.service=web)"

// writeShopData writes a file into the shop's named volume and its bind-mounted ./data.
func writeShopData(t *testing.T, h *testbed.Host) {
	t.Helper()
	hostOut(t, h, "sh", "-c", "docker exec "+shopWeb+" sh -c 'echo kept > /data/f && echo kept > /bind/f'")
}

// checkShopData reads the files writeShopData wrote, from the host's side, with or without
// the stack running.
func checkShopData(t *testing.T, bed *testbed.Bed) {
	t.Helper()
	for _, h := range bed.Hosts {
		vol, err := h.Exec(context.Background(), "sh", "-c", "cat \"$(docker volume inspect --format '{{.Mountpoint}}' shop_data)/f\"")
		bind, err2 := h.Exec(context.Background(), "cat", "/srv/berth/shop/data/f")
		if vol != "kept" || bind != "kept" {
			t.Errorf("%s: volume shop_data holds %q (%v), ./data holds %q (%v); want kept", h.Name, vol, err, bind, err2)
		}
	}
}

// summaryOf is the apply summary's lines about host: its outcome line and the error under it.
func summaryOf(stdout, host string) string {
	_, sum, ok := strings.Cut(stdout, "\nSummary:\n")
	if !ok {
		return ""
	}
	lines := strings.Split(sum, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == host {
			if i+1 < len(lines) {
				return l + "\n" + lines[i+1]
			}
			return l
		}
	}
	return ""
}

// jsonChange is a change of the plan object `--json` prints.
type jsonChange struct {
	Host    string `json:"host"`
	Address string `json:"address"`
	Action  string `json:"action"`
	Op      string `json:"op"`
	Reason  string `json:"reason"`
}

// opChanges returns the changes with operation op in the plan object of --json output.
func opChanges(t *testing.T, stdout, op string) []jsonChange {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		var obj struct {
			Type string `json:"type"`
			Plan struct {
				Hosts []struct {
					Changes []jsonChange `json:"changes"`
				} `json:"hosts"`
			} `json:"plan"`
		}
		if json.Unmarshal([]byte(line), &obj) != nil || obj.Type != "plan" {
			continue
		}
		var out []jsonChange
		for _, h := range obj.Plan.Hosts {
			for _, c := range h.Changes {
				if c.Op == op {
					out = append(out, c)
				}
			}
		}
		return out
	}
	t.Fatalf("no plan object in the --json output:\n%s", stdout)
	return nil
}

// events returns the JSON events of type typ, as their lines.
func events(stdout, typ string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		var ev struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == typ {
			out = append(out, line)
		}
	}
	return out
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
