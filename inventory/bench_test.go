package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBig writes an inventory of nHosts hosts and nStacks stacks (each with its own compose
// directory), plus host-layer blocks that select every host.
func writeBig(tb testing.TB, dir string, nHosts, nStacks int) {
	var b strings.Builder
	b.WriteString("defaults {\n  port_range = \"30000-39999\"\n}\n")
	for i := 0; i < nHosts; i++ {
		fmt.Fprintf(&b, "host \"h%04d\" {\n  address = \"10.%d.%d.%d\"\n  labels = { role = \"app\", zone = \"z%d\" }\n  capacity = { cpus = 8, memory = \"16GiB\" }\n}\n", i, i/65536, (i/256)%256, i%256, i%4)
	}
	b.WriteString("docker {\n  hosts = \"role=app\"\n}\nsyslog {\n  hosts = \"*\"\n}\n")
	b.WriteString("file \"/etc/motd\" {\n  hosts = \"*\"\n  content = \"host ${host.name} in ${host.labels.zone}\\n\"\n}\n")
	for i := 0; i < nStacks; i++ {
		sd := filepath.Join(dir, "stacks", fmt.Sprintf("s%03d", i))
		if err := os.MkdirAll(sd, 0o755); err != nil {
			tb.Fatal(err)
		}
		os.WriteFile(filepath.Join(sd, "compose.yaml"), []byte(fmt.Sprintf("services:\n  web:\n    image: registry.test/s%03d:1\n    expose: [\"8080\"]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n", i)), 0o644)
		fmt.Fprintf(&b, "stack \"s%03d\" {\n  compose = \"stacks/s%03d\"\n  replicas = 2\n  place {\n    hosts = \"zone=z%d\"\n    spread = \"zone\"\n  }\n  port \"http\" {\n    container = 8080\n  }\n}\n", i, i, i%4)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLoad1000Hosts200Stacks loads and validates a large inventory.
func BenchmarkLoad1000Hosts200Stacks(b *testing.B) {
	dir := b.TempDir()
	writeBig(b, dir, 1000, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv, diags := Load(dir, Options{})
		if diags.HasErrors() || len(inv.Hosts) != 1000 || len(inv.Stacks) != 200 {
			b.Fatalf("load: %d hosts %d stacks: %s", len(inv.Hosts), len(inv.Stacks), describe(diags))
		}
	}
}
