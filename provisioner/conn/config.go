package conn

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/inventory"
	"github.com/kevinburke/ssh_config"
)

// Config says how to reach one host. Resolve builds it from an inventory host merged with
// ~/.ssh/config; tests build it directly.
type Config struct {
	Name    string // inventory name, for messages and `berth hosts trust NAME`
	Address string // host name or IP to dial
	Port    int
	User    string
	// IdentityFiles are private keys to offer, in order, before the agent's keys.
	IdentityFiles []string
	// KnownHosts are the known_hosts files checked, in order; the first is where
	// `berth hosts trust` writes.
	KnownHosts []string
	// AcceptNew adds an unknown host's key to KnownHosts[0] (StrictHostKeyChecking
	// accept-new or no in ~/.ssh/config). A changed key is refused regardless.
	AcceptNew bool
	// Jump is the ProxyJump chain, nearest hop first, each verified like any host.
	Jump []*Config
	// Become runs commands through `sudo -n --` unless a command opts out.
	Become bool
	// AgentSocket is SSH_AUTH_SOCK; "" disables the agent.
	AgentSocket string
	// Passphrase is asked for an encrypted identity file the agent does not hold; nil skips
	// such files.
	Passphrase func(file string) ([]byte, error)

	ConnectTimeout time.Duration // dial and handshake, each; default 15s
	KeepAlive      time.Duration // interval; default 15s; a missed reply in 3 intervals closes
	Retries        int           // extra connection attempts on setup errors; 0 means 2, negative none
}

// Addr is host:port as dialled and as looked up in known_hosts.
// A zero port means OpenSSH's default, 22.
func (c *Config) Addr() string {
	port := c.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(c.Address, strconv.Itoa(port))
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.Port == 0 {
		d.Port = 22
	}
	if d.ConnectTimeout == 0 {
		d.ConnectTimeout = 15 * time.Second
	}
	if d.KeepAlive == 0 {
		d.KeepAlive = 15 * time.Second
	}
	switch {
	case d.Retries == 0:
		d.Retries = 2
	case d.Retries < 0:
		d.Retries = 0
	}
	if d.Name == "" {
		d.Name = d.Address
	}
	return d
}

// Resolver turns inventory hosts into Configs. Inventory settings win over ~/.ssh/config,
// which wins over OpenSSH's defaults.
type Resolver struct {
	Inventory *inventory.Inventory // to resolve ProxyJump hops that name inventory hosts; may be nil
	SSHConfig *ssh_config.Config   // parsed ~/.ssh/config; nil for none
	Home      string
	Getenv    func(string) string
	// Passphrase unlocks encrypted identity files the agent does not hold; NewResolver sets
	// TerminalPassphrase.
	Passphrase func(file string) ([]byte, error)
}

// NewResolver reads ~/.ssh/config (if present) for the user whose home is home.
func NewResolver(inv *inventory.Inventory, home string, getenv func(string) string) (*Resolver, error) {
	r := &Resolver{Inventory: inv, Home: home, Getenv: getenv, Passphrase: TerminalPassphrase()}
	path := filepath.Join(home, ".ssh", "config")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if r.SSHConfig, err = ssh_config.Decode(f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return r, nil
}

// Resolve builds the Config of an inventory host.
func (r *Resolver) Resolve(h *inventory.Host) (*Config, error) {
	addr := h.Address
	if addr == "" {
		addr = h.Name
	}
	c, err := r.resolve(h.Name, addr, h.SSH, map[string]bool{h.Name: true})
	if err != nil {
		return nil, err
	}
	c.Become = h.Become
	return c, nil
}

func (r *Resolver) resolve(name, alias string, s inventory.SSH, seen map[string]bool) (*Config, error) {
	c := &Config{Name: name, Address: r.get(alias, "HostName"), User: s.User, Port: s.Port,
		ConnectTimeout: s.ConnectTimeout, AgentSocket: r.Getenv("SSH_AUTH_SOCK"), Passphrase: r.Passphrase}
	if c.Address == "" {
		c.Address = alias
	}
	if c.User == "" {
		c.User = r.get(alias, "User")
	}
	if c.User == "" {
		c.User = r.Getenv("USER")
	}
	if c.Port == 0 {
		if p, err := strconv.Atoi(r.get(alias, "Port")); err == nil {
			c.Port = p
		}
	}
	r.fillFiles(c, alias, s)
	switch strings.ToLower(r.get(alias, "StrictHostKeyChecking")) {
	case "accept-new", "no", "off":
		c.AcceptNew = true
	}
	jump := s.Jump
	if jump == "" {
		jump = r.get(alias, "ProxyJump")
	}
	if jump != "" && !strings.EqualFold(jump, "none") {
		hops, err := r.resolveJump(name, jump, seen)
		if err != nil {
			return nil, err
		}
		c.Jump = hops
	}
	return c, nil
}

func (r *Resolver) fillFiles(c *Config, alias string, s inventory.SSH) {
	if s.Identity != "" {
		c.IdentityFiles = []string{r.expand(s.Identity)}
	} else if r.SSHConfig != nil {
		all, _ := r.SSHConfig.GetAll(alias, "IdentityFile")
		for _, f := range all {
			c.IdentityFiles = append(c.IdentityFiles, r.expand(f))
		}
	}
	if len(c.IdentityFiles) == 0 {
		for _, f := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			p := filepath.Join(r.Home, ".ssh", f)
			if _, err := os.Stat(p); err == nil {
				c.IdentityFiles = append(c.IdentityFiles, p)
			}
		}
	}
	switch {
	case s.KnownHosts != "":
		c.KnownHosts = []string{r.expand(s.KnownHosts)}
	case r.besideInventory() != "":
		c.KnownHosts = []string{r.besideInventory()}
	case r.get(alias, "UserKnownHostsFile") != "":
		for _, f := range strings.Fields(r.get(alias, "UserKnownHostsFile")) {
			c.KnownHosts = append(c.KnownHosts, r.expand(f))
		}
	default:
		c.KnownHosts = []string{filepath.Join(r.Home, ".ssh", "known_hosts")}
	}
}

// besideInventory is the inventory's own known_hosts file when it has one.
func (r *Resolver) besideInventory() string {
	if r.Inventory == nil || r.Inventory.Dir == "" {
		return ""
	}
	p := filepath.Join(r.Inventory.Dir, "known_hosts")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// resolveJump turns "a,b" (a reached first) into Configs. A hop that names an inventory host
// takes that host's address and SSH settings.
func (r *Resolver) resolveJump(name, jump string, seen map[string]bool) ([]*Config, error) {
	var hops []*Config
	for _, spec := range strings.Split(jump, ",") {
		user, host, port, err := parseHop(strings.TrimSpace(spec))
		if err != nil {
			return nil, fmt.Errorf("host %s: ProxyJump %q: %w", name, jump, err)
		}
		if seen[host] {
			return nil, fmt.Errorf("host %s: ProxyJump loops through %s", name, host)
		}
		s, alias := inventory.SSH{}, host
		if r.Inventory != nil {
			if ih := r.Inventory.Host(host); ih != nil {
				s, alias = ih.SSH, ih.Address
				s.Jump = "" // the chain is given explicitly here
			}
		}
		if user != "" {
			s.User = user
		}
		if port != 0 {
			s.Port = port
		}
		hop, err := r.resolve(host, alias, s, map[string]bool{host: true})
		if err != nil {
			return nil, err
		}
		hop.Jump = nil
		hops = append(hops, hop)
	}
	return hops, nil
}

// parseHop splits "[user@]host[:port]".
func parseHop(s string) (user, host string, port int, err error) {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		user, s = s[:i], s[i+1:]
	}
	host = s
	if h, p, e := net.SplitHostPort(s); e == nil {
		host = h
		if port, err = strconv.Atoi(p); err != nil {
			return "", "", 0, fmt.Errorf("bad port %q", p)
		}
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("empty host")
	}
	return user, host, port, nil
}

func (r *Resolver) get(alias, key string) string {
	if r.SSHConfig == nil {
		return ""
	}
	v, _ := r.SSHConfig.Get(alias, key)
	return v
}

func (r *Resolver) expand(p string) string {
	if p == "~" {
		return r.Home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(r.Home, p[2:])
	}
	if !filepath.IsAbs(p) && r.Inventory != nil && r.Inventory.Dir != "" {
		return filepath.Join(r.Inventory.Dir, p)
	}
	return p
}

// ResolveName resolves an inventory host by name or, for a name the inventory lacks (a
// bastion, say), an ssh_config alias or address with the inventory's default SSH settings.
func (r *Resolver) ResolveName(name string) (*Config, error) {
	if r.Inventory != nil {
		if h := r.Inventory.Host(name); h != nil {
			return r.Resolve(h)
		}
	}
	var s inventory.SSH
	if r.Inventory != nil {
		s = r.Inventory.Defaults.SSH
		s.Jump = ""
	}
	user, host, port, err := parseHop(name)
	if err != nil {
		return nil, fmt.Errorf("host %q: %w", name, err)
	}
	if user != "" {
		s.User = user
	}
	if port != 0 {
		s.Port = port
	}
	return r.resolve(host, host, s, map[string]bool{host: true})
}
