// Package vspheretest runs govmomi's vCenter simulator (vcsim) in process with a fleet of
// VMs laid out by a fixed rule, so that tests of the vsphere source and of the CLI can list
// them and know what to expect. It is a test helper, like net/http/httptest.
package vspheretest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/rest"
	_ "github.com/vmware/govmomi/vapi/simulator" // the tagging API
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// User and Password are the only credentials the simulator accepts.
const (
	User     = "berth@vsphere.local"
	Password = "s3cret-vc"
	// Network is the network the guest IPs are reported on.
	Network = "VM Network"
)

// Folders are the VM folders, below the datacenter's vm folder, VM i going to Folders[i%4];
// "other" is outside the folders a test usually selects.
var Folders = []string{"prod/eu", "prod/us", "staging", "other"}

var (
	roles = []string{"app", "db", "web", "batch"}
	zones = []string{"rbx", "gra", "sbg"}
)

// VM is what the fleet rule says about VM i.
type VM struct {
	Name     string
	Folder   string
	Role     string // tag role/ROLE
	Zone     string // tag zone/ZONE
	Env      string // tag env/prod or env/staging
	Owner    string // custom attribute owner
	Berth    string // custom attribute berth: "yes", or "no" for every 25th VM
	On       bool   // every 10th VM (i%10 == 9) is powered off
	CPUs     int
	MemoryMB int
	IP       string // on Network
}

// Fleet returns VM i of the rule.
func Fleet(i int) VM {
	v := VM{Name: fmt.Sprintf("%s-%03d", roles[i%4], i), Folder: Folders[i%4], Role: roles[i%4],
		Zone: zones[i%3], Env: "prod", Owner: fmt.Sprintf("team-%d", i%7), Berth: "yes", On: i%10 != 9,
		CPUs: 1 + i%4, MemoryMB: 1024 * (1 + i%8), IP: fmt.Sprintf("10.1.%d.%d", i/200, 10+i%200)}
	if v.Folder == "staging" {
		v.Env = "staging"
	}
	if i%25 == 0 {
		v.Berth = "no"
	}
	return v
}

// Server is a running simulator.
type Server struct {
	URL string // https://127.0.0.1:PORT/sdk
	N   int
}

// Start runs a simulator holding n VMs laid out by Fleet, stopped when the test ends.
func Start(t testing.TB, n int) *Server {
	t.Helper()
	m := simulator.VPX()
	m.Host, m.ClusterHost, m.Machine = 0, 1, n
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	m.Service.Listen = &url.URL{User: url.UserPassword(User, Password)}
	m.Service.RegisterEndpoints = true
	srv := m.Service.NewServer()
	t.Cleanup(func() { srv.Close(); m.Remove() })
	ctx := context.Background()
	u := *srv.URL
	u.User = url.UserPassword(User, Password)
	c, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := layout(ctx, m, c, n); err != nil {
		t.Fatal(err)
	}
	plain := *srv.URL
	plain.User = nil
	return &Server{URL: plain.String(), N: n}
}

// layout renames, powers, sizes and moves the model's VMs, then tags them.
func layout(ctx context.Context, m *simulator.Model, c *govmomi.Client, n int) error {
	f := find.NewFinder(c.Client)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		return err
	}
	f.SetDatacenter(dc)
	vms, err := f.VirtualMachineList(ctx, "*")
	if err != nil {
		return err
	}
	if len(vms) != n {
		return fmt.Errorf("the model has %d VMs, want %d", len(vms), n)
	}
	byFolder := map[string][]types.ManagedObjectReference{}
	refs := make([]types.ManagedObjectReference, n)
	for i, vm := range vms {
		v := Fleet(i)
		refs[i] = vm.Reference()
		sim := m.Map().Get(vm.Reference()).(*simulator.VirtualMachine)
		sim.Name = v.Name
		sim.Config.Hardware.NumCPU = int32(v.CPUs)
		sim.Config.Hardware.MemoryMB = int32(v.MemoryMB)
		sim.Guest.Net = []types.GuestNicInfo{{Network: Network, IpAddress: []string{"fe80::1", v.IP}, Connected: true}}
		if !v.On {
			sim.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
		}
		byFolder[v.Folder] = append(byFolder[v.Folder], vm.Reference())
	}
	fs, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	for _, name := range Folders {
		folder, err := mkdirAll(ctx, fs.VmFolder, name)
		if err != nil {
			return err
		}
		task, err := folder.MoveInto(ctx, byFolder[name])
		if err != nil {
			return err
		}
		if err := task.Wait(ctx); err != nil {
			return err
		}
	}
	if err := attributes(ctx, c, refs); err != nil {
		return err
	}
	return tagAll(ctx, c, refs)
}

func mkdirAll(ctx context.Context, root *object.Folder, p string) (*object.Folder, error) {
	cur := root
	for _, part := range strings.Split(p, "/") {
		next, err := find.NewFinder(cur.Client()).Folder(ctx, cur.InventoryPath+"/"+part)
		if err == nil {
			cur = next
			continue
		}
		created, err := cur.CreateFolder(ctx, part)
		if err != nil {
			return nil, err
		}
		created.InventoryPath = cur.InventoryPath + "/" + part
		cur = created
	}
	return cur, nil
}

func attributes(ctx context.Context, c *govmomi.Client, refs []types.ManagedObjectReference) error {
	cfm := object.NewCustomFieldsManager(c.Client)
	owner, err := cfm.Add(ctx, "owner", "VirtualMachine", nil, nil)
	if err != nil {
		return err
	}
	berth, err := cfm.Add(ctx, "berth", "VirtualMachine", nil, nil)
	if err != nil {
		return err
	}
	for i, ref := range refs {
		v := Fleet(i)
		if err := cfm.Set(ctx, ref, owner.Key, v.Owner); err != nil {
			return err
		}
		if err := cfm.Set(ctx, ref, berth.Key, v.Berth); err != nil {
			return err
		}
	}
	return nil
}

func tagAll(ctx context.Context, c *govmomi.Client, refs []types.ManagedObjectReference) error {
	rc := rest.NewClient(c.Client)
	if err := rc.Login(ctx, url.UserPassword(User, Password)); err != nil {
		return err
	}
	defer rc.Logout(ctx)
	tm := tags.NewManager(rc)
	groups := map[string]map[string][]mo.Reference{} // category -> tag -> VMs
	for i, ref := range refs {
		v := Fleet(i)
		for cat, tag := range map[string]string{"role": v.Role, "zone": v.Zone, "env": v.Env} {
			if groups[cat] == nil {
				groups[cat] = map[string][]mo.Reference{}
			}
			groups[cat][tag] = append(groups[cat][tag], ref)
		}
	}
	for cat, byTag := range groups {
		catID, err := tm.CreateCategory(ctx, &tags.Category{Name: cat, Cardinality: "SINGLE", AssociableTypes: []string{"VirtualMachine"}})
		if err != nil {
			return err
		}
		for tag, vms := range byTag {
			id, err := tm.CreateTag(ctx, &tags.Tag{Name: tag, CategoryID: catID})
			if err != nil {
				return err
			}
			if err := tm.AttachTagToMultipleObjects(ctx, id, vms); err != nil {
				return err
			}
		}
	}
	return nil
}
