package schedule

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleAssignment() Assignment {
	return Assignment{Stacks: []StackPlacement{
		{Name: "web", Replicas: []Replica{
			{Index: 1, Host: "app-3", Ports: map[string]int{"http": 20000, "admin": 20001}, Status: Moved, From: "app-2", Reason: "app-2: drained"},
			{Index: 0, Host: "app-1", Ports: map[string]int{"http": 20000, "admin": 20001}, Status: Kept},
		}, Removed: []Replica{{Index: 2, Host: "app-4", Status: Removed}}},
		{Name: "api", Replicas: []Replica{{Index: 0, Host: "app-2", Status: New}}},
		{Name: "idle"},
	}}
}

func TestLockFileGolden(t *testing.T) {
	data, err := NewPlacementFile(sampleAssignment()).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "lock.golden", string(data))
}

func TestLockFileRoundTrip(t *testing.T) {
	lf := NewPlacementFile(sampleAssignment())
	data := must(lf.Marshal())
	back, err := ParsePlacementFile("berth.lock.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if again := must(NewPlacementFile(back.Assignment()).Marshal()); string(again) != string(data) {
		t.Errorf("round trip changed the file:\n%s\nwant\n%s", again, data)
	}
	a := back.Assignment()
	if len(a.Stacks) != 2 || a.Stacks[0].Name != "api" || a.Stacks[1].Replicas[1].Host != "app-3" || a.Stacks[1].Replicas[1].Status != Kept {
		t.Errorf("assignment from the lock file: %+v", a)
	}
}

func TestWriteReadLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PlacementFileName)
	if _, err := ReadPlacementFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing lock file: %v, want ErrNotExist", err)
	}
	lf := NewPlacementFile(sampleAssignment())
	for range 2 {
		if err := WritePlacementFile(path, lf); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadPlacementFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, lf) {
		t.Errorf("read %+v, wrote %+v", got, lf)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the lock file (no temporary left)", len(entries))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestParseLockErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\n  \"version\": 1,\n  \"stacks\": {\n    \"web\": []\n  }\n}\n", "lock.json:4: json: cannot unmarshal array"},
		{"{\n  \"version\": 1,\n  \"stacks\": {\n    \"web\": {,\n", "lock.json:4: invalid character ','"},
		{"{\n  \"version\": 1,\n  \"stacks\": {},\n  \"time\": 3\n}", `lock.json: json: unknown field "time"`},
		{`{"version": 2, "stacks": {}}`, "lock.json: version 2 is not supported"},
		{`{"version": 1, "stacks": {"web": {"replicas": [{"index": 0, "host": "a"}, {"index": 0, "host": "b"}]}}}`, `lock.json: stack "web": replica index 0 is negative or repeated`},
		{`{"version": 1, "stacks": {"web": {"replicas": [{"index": 0, "host": "a", "ports": {"http": 70000}}]}}}`, `port "http" is 70000`},
		{`{"version": 1, "stacks": {"web": {"replicas": [{"index": 0}]}}}`, `replica 0: no host`},
		{"{\n\"version\": 1,\n\"stacks\": {}\n", "lock.json"},
	} {
		_, err := ParsePlacementFile("lock.json", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePlacementFile(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestTableGolden(t *testing.T) {
	golden(t, "table.golden", Table(sampleAssignment()))
}

func TestTableFromPlace(t *testing.T) {
	req := Request{Hosts: fleet(), Stacks: []Stack{stack("web", 3, all...), stack("api", 1, all...)}}
	first := mustPlace(t, req)
	req.Current = first
	req.Hosts[0].Drain = true
	req.Stacks[0].Replicas = 2
	second := mustPlace(t, req)
	golden(t, "table_drain.golden", Table(first)+"\n"+Table(second))
}

func TestAssignmentJSONRoundTrip(t *testing.T) {
	a := sampleAssignment()
	sortAssignment(&a)
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Assignment
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, a) {
		t.Errorf("JSON round trip lost something:\n%+v\n%+v", back, a)
	}
	if !strings.Contains(string(data), `{"index":1,"host":"app-3","ports":{"admin":20001,"http":20000},"status":"moved","from":"app-2","reason":"app-2: drained"}`) {
		t.Errorf("unexpected JSON form: %s", data)
	}
}
