package vsphere

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"sort"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/berth-dev/berth/inventory"
)

// List logs in to the source's vCenter, lists the VMs its settings select and logs out. An
// error names what failed (connect, log in, a folder that does not exist); the caller adds
// the source block's position.
func List(ctx context.Context, s *inventory.Source) (*inventory.Listing, error) {
	cfg := s.VSphere
	if cfg == nil {
		return nil, errors.New("not a vsphere source")
	}
	if len(cfg.Password) == 0 {
		return nil, errors.New("the password is empty: set the sensitive variable it comes from (BERTH_VAR_name, -var-file, from_command)")
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	c, err := login(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.logout(context.WithoutCancel(ctx))
	vms, err := c.machines(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.annotate(ctx, cfg, vms); err != nil {
		return nil, err
	}
	l := hosts(cfg, vms)
	l.From = "vCenter " + c.host
	return l, nil
}

// client is a logged-in session: the SOAP API for VMs and custom attributes, the REST API
// (logged in lazily) for tags.
type client struct {
	host   string
	vim    *vim25.Client
	rest   *rest.Client
	user   *url.Userinfo
	finder *find.Finder
	dc     *object.Datacenter
}

func login(ctx context.Context, cfg *inventory.VSphere) (*client, error) {
	u, err := soap.ParseURL(cfg.URL)
	if err != nil || u == nil {
		return nil, fmt.Errorf("url %q: %v", cfg.URL, err)
	}
	sc := soap.NewClient(u, cfg.Insecure)
	if cfg.CACert != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(cfg.CACert)
		sc.DefaultTransport().TLSClientConfig.RootCAs = pool
	}
	if cfg.Thumbprint != "" {
		sc.SetThumbprint(u.Host, cfg.Thumbprint)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Host, err)
	}
	user := url.UserPassword(cfg.Username, string(cfg.Password))
	if err := session.NewManager(vc).Login(ctx, user); err != nil {
		return nil, fmt.Errorf("log in to %s as %s: %w", u.Host, cfg.Username, loginErr(err))
	}
	c := &client{host: u.Host, vim: vc, user: user, finder: find.NewFinder(vc)}
	if c.dc, err = c.finder.DatacenterOrDefault(ctx, cfg.Datacenter); err != nil {
		c.logout(ctx)
		return nil, fmt.Errorf("datacenter: %w", err)
	}
	c.finder.SetDatacenter(c.dc)
	return c, nil
}

// loginErr turns vSphere's InvalidLogin fault into words.
func loginErr(err error) error {
	if soap.IsSoapFault(err) {
		if _, ok := soap.ToSoapFault(err).VimFault().(types.InvalidLogin); ok {
			return errors.New("the user name or password is wrong")
		}
	}
	return err
}

func (c *client) logout(ctx context.Context) {
	if c.rest != nil {
		_ = c.rest.Logout(ctx)
	}
	_ = session.NewManager(c.vim).Logout(ctx)
}

// hosts turns the VMs into listed hosts, sorted by name, and says why each other VM was left
// out. Filters (tags, attributes) leave VMs out without a note: that is what they are for.
func hosts(cfg *inventory.VSphere, vms []*machine) *inventory.Listing {
	l := &inventory.Listing{Hosts: []inventory.ListedHost{}}
	sort.Slice(vms, func(i, j int) bool { return vms[i].vm.Name < vms[j].vm.Name })
	for _, m := range vms {
		if !m.selected(cfg) {
			continue
		}
		h, why := m.host(cfg)
		if why != "" {
			l.Skipped = append(l.Skipped, m.origin()+": "+why)
			continue
		}
		l.Hosts = append(l.Hosts, h)
	}
	sort.Slice(l.Hosts, func(i, j int) bool { return l.Hosts[i].Name < l.Hosts[j].Name })
	return l
}
