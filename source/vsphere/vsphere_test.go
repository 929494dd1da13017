package vsphere_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/secret"
	"github.com/berth-dev/berth/source/vsphere"
	"github.com/berth-dev/berth/source/vsphere/vspheretest"
)

func source(url string) *inventory.Source {
	return &inventory.Source{Kind: "vsphere", Name: "lab", VSphere: &inventory.VSphere{
		URL: url, Username: vspheretest.User, Password: secret.Bytes(vspheretest.Password), Insecure: true,
		Folders: []string{"prod/eu", "prod/us", "staging"}, Network: vspheretest.Network,
		LabelAttributes: []string{"owner"},
	}}
}

// TestList500: 500 VMs in four folders: the three selected folders' powered-on VMs become
// hosts with their tags and the owner attribute as labels, guest IPv4 addresses and the VMs'
// CPUs and memory; powered-off ones are named as skipped; the fourth folder is not listed.
func TestList500(t *testing.T) {
	srv := vspheretest.Start(t, 500)
	got, err := vsphere.List(context.Background(), source(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]vspheretest.VM{}
	off := 0
	for i := range 500 {
		v := vspheretest.Fleet(i)
		if v.Folder == "other" {
			continue
		}
		if !v.On {
			off++
			continue
		}
		want[v.Name] = v
	}
	if len(got.Hosts) != len(want) || len(got.Skipped) != off {
		t.Fatalf("%d hosts, %d skipped; want %d and %d", len(got.Hosts), len(got.Skipped), len(want), off)
	}
	for _, h := range got.Hosts {
		v, ok := want[h.Name]
		if !ok {
			t.Fatalf("unexpected host %s (%s)", h.Name, h.Origin)
		}
		wantLabels := fmt.Sprintf("env=%s owner=%s role=%s zone=%s", v.Env, v.Owner, v.Role, v.Zone)
		if h.Address != v.IP || labels(h.Labels) != wantLabels || h.Capacity.CPUs != float64(v.CPUs) ||
			h.Capacity.Memory != int64(v.MemoryMB)<<20 || !strings.HasSuffix(h.Origin, "/DC0/vm/"+v.Folder+"/"+v.Name) {
			t.Errorf("%s: got %s %s cpus=%v mem=%d at %q; want %s %s cpus=%d mem=%dMiB in %s",
				h.Name, h.Address, labels(h.Labels), h.Capacity.CPUs, h.Capacity.Memory, h.Origin, v.IP, wantLabels, v.CPUs, v.MemoryMB, v.Folder)
		}
	}
	// one host spelled out, so the rule above cannot hide a shared mistake
	h := got.Hosts[0]
	if h.Name != "app-000" || h.Address != "10.1.0.10" || labels(h.Labels) != "env=prod owner=team-0 role=app zone=rbx" || h.Capacity.CPUs != 1 || h.Capacity.Memory != 1<<30 {
		t.Errorf("first host: %+v", h)
	}
	if s := got.Skipped[0]; !strings.HasSuffix(s, "/DC0/vm/prod/us/db-009: powered off") {
		t.Errorf("skipped: %q", s)
	}
}

// TestFilters: a tag filter and a custom attribute filter keep only the matching VMs, and an
// address rule replaces the guest IP.
func TestFilters(t *testing.T) {
	srv := vspheretest.Start(t, 100)
	s := source(srv.URL)
	s.VSphere.Tags = []string{"role/db", "zone/gra"}
	s.VSphere.Attributes = map[string]string{"berth": "yes"}
	s.VSphere.Network, s.VSphere.AddressRule = "", "{{name}}.lab.example.net"
	got, err := vsphere.List(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range got.Hosts {
		names = append(names, h.Name+"@"+h.Address)
	}
	// role db is i%4==1, zone gra i%3==1: i%12==1 (1, 13, ..., 97); 25 has berth=no, 49 is off;
	// folder other is i%4==3, never db.
	want := "db-001@db-001.lab.example.net db-013@db-013.lab.example.net db-037@db-037.lab.example.net db-061@db-061.lab.example.net db-073@db-073.lab.example.net db-085@db-085.lab.example.net db-097@db-097.lab.example.net"
	if strings.Join(names, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(names, " "), want)
	}
}

// TestResourcePool: listing by resource pool finds every VM of the cluster's pool, whatever
// its folder.
func TestResourcePool(t *testing.T) {
	srv := vspheretest.Start(t, 40)
	s := source(srv.URL)
	s.VSphere.Folders, s.VSphere.ResourcePools = nil, []string{"DC0_C0/Resources"}
	got, err := vsphere.List(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Hosts)+len(got.Skipped) != 40 || len(got.Skipped) != 4 {
		t.Errorf("%d hosts, %d skipped; want 36 and 4", len(got.Hosts), len(got.Skipped))
	}
}

// TestErrors: a wrong password, an unreachable vCenter and a missing folder each fail the
// listing with words that say which.
func TestErrors(t *testing.T) {
	srv := vspheretest.Start(t, 4)
	for _, tc := range []struct {
		name string
		edit func(*inventory.VSphere)
		want string
	}{
		{"password", func(v *inventory.VSphere) { v.Password = secret.Bytes("nope") }, "log in to 127.0.0.1"},
		{"password words", func(v *inventory.VSphere) { v.Password = secret.Bytes("nope") }, "user name or password is wrong"},
		{"unreachable", func(v *inventory.VSphere) { v.URL = "https://127.0.0.1:1/sdk" }, "connect to 127.0.0.1:1"},
		{"folder", func(v *inventory.VSphere) { v.Folders = []string{"nowhere"} }, `folder "nowhere"`},
		{"empty password", func(v *inventory.VSphere) { v.Password = nil }, "password is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := source(srv.URL)
			tc.edit(s.VSphere)
			got, err := vsphere.List(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want an error with %q", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "nope") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// BenchmarkList500 lists 500 VMs (b.ReportAllocs: bytes allocated per listing).
func BenchmarkList500(b *testing.B) {
	srv := vspheretest.Start(b, 500)
	s := source(srv.URL)
	b.ReportAllocs()
	for b.Loop() {
		got, err := vsphere.List(context.Background(), s)
		if err != nil || len(got.Hosts) == 0 {
			b.Fatal(err)
		}
	}
}

func labels(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
