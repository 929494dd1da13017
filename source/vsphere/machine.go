package vsphere

import (
	"context"
	"fmt"
	"net"
	"path"
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/berth-dev/berth/inventory"
)

// machine is one VM as listed: its properties, then its tags and custom attributes by name.
type machine struct {
	vm    mo.VirtualMachine
	path  string            // inventory path of its folder
	tags  map[string]string // category -> tag (the first by name when a category has several)
	all   map[string]bool   // every "category/tag"
	attrs map[string]string // custom attribute name -> value
}

// vmProps are the only properties retrieved: a full VM object is ~50 KB on the wire.
var vmProps = []string{"name", "parent", "runtime.powerState", "config.template",
	"config.hardware.numCPU", "config.hardware.memoryMB", "guest.net", "customValue"}

// machines retrieves the VMs below each folder and resource pool (or the datacenter's vm
// folder), one property retrieval per container, without duplicates.
func (c *client) machines(ctx context.Context, cfg *inventory.VSphere) ([]*machine, error) {
	var roots []types.ManagedObjectReference
	for _, p := range cfg.Folders {
		f, err := c.finder.Folder(ctx, c.abs(p, "vm"))
		if err != nil {
			return nil, fmt.Errorf("folder %q: %w", p, err)
		}
		roots = append(roots, f.Reference())
	}
	for _, p := range cfg.ResourcePools {
		rp, err := c.finder.ResourcePool(ctx, c.abs(p, "host"))
		if err != nil {
			return nil, fmt.Errorf("resource pool %q: %w", p, err)
		}
		roots = append(roots, rp.Reference())
	}
	if len(roots) == 0 {
		fs, err := c.dc.Folders(ctx)
		if err != nil {
			return nil, fmt.Errorf("datacenter folders: %w", err)
		}
		roots = append(roots, fs.VmFolder.Reference())
	}
	paths, err := c.folderPaths(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*machine
	for _, root := range roots {
		var vms []mo.VirtualMachine
		if err := c.retrieve(ctx, root, "VirtualMachine", vmProps, &vms); err != nil {
			return nil, fmt.Errorf("list VMs: %w", err)
		}
		for _, vm := range vms {
			if seen[vm.Self.Value] {
				continue
			}
			seen[vm.Self.Value] = true
			m := &machine{vm: vm, tags: map[string]string{}, all: map[string]bool{}, attrs: map[string]string{}}
			if vm.Parent != nil {
				m.path = paths[vm.Parent.Value]
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// abs makes a path relative to one of the datacenter's folders ("vm", "host") absolute.
func (c *client) abs(p, under string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return path.Join(c.dc.InventoryPath, under, p)
}

// retrieve reads properties of every object of one type below root, recursively.
func (c *client) retrieve(ctx context.Context, root types.ManagedObjectReference, kind string, props []string, dst any) error {
	v, err := view.NewManager(c.vim).CreateContainerView(ctx, root, []string{kind}, true)
	if err != nil {
		return err
	}
	defer v.Destroy(context.WithoutCancel(ctx))
	return v.Retrieve(ctx, []string{kind}, props, dst)
}

// folderPaths maps every folder of the datacenter to its inventory path, for messages.
func (c *client) folderPaths(ctx context.Context) (map[string]string, error) {
	var fs []mo.Folder
	if err := c.retrieve(ctx, c.dc.Reference(), "Folder", []string{"name", "parent"}, &fs); err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	byID := map[string]mo.Folder{}
	for _, f := range fs {
		byID[f.Self.Value] = f
	}
	out := map[string]string{}
	var walk func(id string, depth int) string
	walk = func(id string, depth int) string {
		if p, ok := out[id]; ok {
			return p
		}
		f, ok := byID[id]
		if !ok || depth > 64 {
			return c.dc.InventoryPath
		}
		parent := c.dc.InventoryPath
		if f.Parent != nil {
			parent = walk(f.Parent.Value, depth+1)
		}
		out[id] = path.Join(parent, f.Name)
		return out[id]
	}
	for id := range byID {
		walk(id, 0)
	}
	return out, nil
}

// annotate adds tags (REST API, one call for all VMs) and custom attributes by name.
func (c *client) annotate(ctx context.Context, cfg *inventory.VSphere, vms []*machine) error {
	if len(vms) == 0 {
		return nil
	}
	if err := c.customAttributes(ctx, vms); err != nil {
		return err
	}
	return c.tagsOf(ctx, vms)
}

func (c *client) customAttributes(ctx context.Context, vms []*machine) error {
	if c.vim.ServiceContent.CustomFieldsManager == nil {
		return nil // a standalone ESXi host has none
	}
	defs, err := object.NewCustomFieldsManager(c.vim).Field(ctx)
	if err != nil {
		return fmt.Errorf("custom attributes: %w", err)
	}
	names := map[int32]string{}
	for _, d := range defs {
		names[d.Key] = d.Name
	}
	for _, m := range vms {
		for _, cv := range m.vm.CustomValue {
			if sv, ok := cv.(*types.CustomFieldStringValue); ok && names[sv.Key] != "" {
				m.attrs[names[sv.Key]] = sv.Value
			}
		}
	}
	return nil
}

func (c *client) tagsOf(ctx context.Context, vms []*machine) error {
	c.rest = rest.NewClient(c.vim)
	if err := c.rest.Login(ctx, c.user); err != nil {
		c.rest = nil
		return fmt.Errorf("log in to the tagging API: %w", err)
	}
	tm := tags.NewManager(c.rest)
	cats, err := tm.GetCategories(ctx)
	if err != nil {
		return fmt.Errorf("tag categories: %w", err)
	}
	catName := map[string]string{}
	for _, ct := range cats {
		catName[ct.ID] = ct.Name
	}
	all, err := tm.GetTags(ctx)
	if err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	byID := map[string]tags.Tag{}
	for _, t := range all {
		byID[t.ID] = t
	}
	refs := make([]mo.Reference, len(vms))
	byVM := map[string]*machine{}
	for i, m := range vms {
		refs[i], byVM[m.vm.Self.Value] = m.vm.Self, m
	}
	attached, err := tm.ListAttachedTagsOnObjects(ctx, refs)
	if err != nil {
		return fmt.Errorf("attached tags: %w", err)
	}
	for _, a := range attached {
		m := byVM[a.ObjectID.Reference().Value]
		if m == nil {
			continue
		}
		ids := append([]string{}, a.TagIDs...)
		sort.Slice(ids, func(i, j int) bool { return byID[ids[i]].Name < byID[ids[j]].Name })
		for _, id := range ids {
			t := byID[id]
			cat := catName[t.CategoryID]
			m.all[cat+"/"+t.Name] = true
			if _, ok := m.tags[cat]; !ok {
				m.tags[cat] = t.Name
			}
		}
	}
	return nil
}

// selected reports whether the VM passes the tag and custom attribute filters.
func (m *machine) selected(cfg *inventory.VSphere) bool {
	if m.vm.Config != nil && m.vm.Config.Template {
		return false
	}
	for _, t := range cfg.Tags {
		if !m.all[t] {
			return false
		}
	}
	for k, v := range cfg.Attributes {
		if m.attrs[k] != v {
			return false
		}
	}
	return true
}

// host builds the listed host, or says why the VM cannot be one.
func (m *machine) host(cfg *inventory.VSphere) (inventory.ListedHost, string) {
	h := inventory.ListedHost{Name: strings.ToLower(m.vm.Name), Labels: map[string]string{}, Origin: m.origin()}
	if m.vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return h, "powered off"
	}
	if cfg.Network != "" {
		h.Address = m.guestIP(cfg.Network)
		if h.Address == "" {
			return h, fmt.Sprintf("no guest IP on network %q (VMware Tools not running?)", cfg.Network)
		}
	} else {
		h.Address = strings.ReplaceAll(cfg.AddressRule, "{{name}}", h.Name)
	}
	for cat, tag := range m.tags {
		h.Labels[cat] = tag
	}
	for _, a := range cfg.LabelAttributes {
		if v := m.attrs[a]; v != "" {
			h.Labels[a] = v
		}
	}
	if hw := m.vm.Config; hw != nil {
		h.Capacity.CPUs = float64(hw.Hardware.NumCPU)
		h.Capacity.Memory = int64(hw.Hardware.MemoryMB) << 20
	}
	return h, ""
}

// guestIP is the VM's first IPv4 address on the network, else its first global IPv6 one.
func (m *machine) guestIP(network string) string {
	var v6 string
	if m.vm.Guest == nil {
		return ""
	}
	for _, nic := range m.vm.Guest.Net {
		if nic.Network != network {
			continue
		}
		for _, a := range nic.IpAddress {
			ip := net.ParseIP(a)
			switch {
			case ip == nil || ip.IsLinkLocalUnicast():
			case ip.To4() != nil:
				return ip.String()
			case v6 == "":
				v6 = ip.String()
			}
		}
	}
	return v6
}

// origin names the VM as vSphere shows it: its id and inventory path.
func (m *machine) origin() string {
	return m.vm.Self.Value + " " + path.Join(m.path, m.vm.Name)
}
