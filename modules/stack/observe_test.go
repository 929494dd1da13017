package stack

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
)

// registryDigests reads what `docker manifest inspect -v` prints for a single manifest, a
// manifest list (one entry per platform) and OCI manifests; anything else is "unknown".
func TestRegistryDigests(t *testing.T) {
	cases := []struct {
		name, out string
		exit      int
		want      string // joined digests; "-" for unknown
	}{
		{"single", `{"Ref":"r","Descriptor":{"digest":"sha256:m"},"SchemaV2Manifest":{"config":{"digest":"sha256:c1"}}}`, 0, "sha256:c1"},
		{"list", `[{"SchemaV2Manifest":{"config":{"digest":"sha256:amd"}}},{"SchemaV2Manifest":{"config":{"digest":"sha256:arm"}}}]`, 0, "sha256:amd,sha256:arm"},
		{"oci", `[{"OCIManifest":{"config":{"digest":"sha256:o"}}}]`, 0, "sha256:o"},
		{"unreachable", ``, 1, "-"},
		{"timeout", ``, 124, "-"},
		{"garbage", `no json`, 0, "-"},
		{"no config", `{"Ref":"r"}`, 0, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, ok := registryDigests(modules.ProbeResult{Stdout: []byte(tc.out), ExitCode: tc.exit})
			got := strings.Join(ds, ",")
			if !ok {
				got = "-"
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseContainersSkipsOneOff(t *testing.T) {
	out := `[{"Id":"a","Name":"/shop-web-1","Config":{"Labels":{"com.docker.compose.service":"web"}}}]
[{"Id":"b","Name":"/shop-web-run-1","Config":{"Labels":{"com.docker.compose.service":"web","com.docker.compose.oneoff":"True"}}}]`
	cs, err := parseContainers([]byte(out))
	if err != nil || len(cs) != 1 || cs[0].name() != "shop-web-1" {
		t.Fatalf("got %+v, %v", cs, err)
	}
}
