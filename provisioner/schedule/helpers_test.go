package schedule

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const GiB = 1 << 30

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func host(name, zone string) Host {
	return Host{
		Name:      name,
		Labels:    map[string]string{"zone": zone, "role": "app"},
		Capacity:  Resources{CPUs: 4, Memory: 8 * GiB},
		PortRange: PortRange{From: 20000, To: 20099},
	}
}

func stack(name string, replicas int, hosts ...string) Stack {
	return Stack{
		Name:      name,
		Replicas:  replicas,
		Hosts:     hosts,
		Spread:    "zone",
		Resources: Resources{CPUs: 1, Memory: GiB},
		Ports:     []Port{{Name: "http", Container: 8080}},
	}
}

// where returns "host" per replica index of stack name.
func where(a Assignment, name string) map[int]string {
	out := map[int]string{}
	if s := a.Stack(name); s != nil {
		for _, r := range s.Replicas {
			out[r.Index] = r.Host
		}
	}
	return out
}

func mustPlace(t *testing.T, req Request) Assignment {
	t.Helper()
	a, probs := Place(req)
	for _, p := range probs {
		t.Errorf("unexpected problem: %v", p.Error())
	}
	return a
}
