package conn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/kevinburke/ssh_config"
)

func TestResolveMergesSSHConfigInventoryWins(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), []byte("x"), 0o600)
	cfgText := `Host web-1 10.0.0.1
  HostName web1.internal
  User alice
  Port 2222
  IdentityFile ~/.ssh/web_key
  UserKnownHostsFile ~/.ssh/kh_web
  ProxyJump bob@bastion.example.net:2200
  StrictHostKeyChecking accept-new
`
	sc, err := ssh_config.Decode(strings.NewReader(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Dir: "/inv", Hosts: []*inventory.Host{
		{Name: "bastion", Address: "bastion.example.net", SSH: inventory.SSH{User: "ops"}},
	}}
	r := &Resolver{Inventory: inv, SSHConfig: sc, Home: home, Getenv: func(k string) string { return map[string]string{"USER": "me"}[k] }}

	c, err := r.Resolve(&inventory.Host{Name: "web-1", Address: "web-1", Become: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Address != "web1.internal" || c.User != "alice" || c.Port != 2222 || !c.AcceptNew || !c.Become ||
		!reflect.DeepEqual(c.IdentityFiles, []string{filepath.Join(home, ".ssh/web_key")}) ||
		!reflect.DeepEqual(c.KnownHosts, []string{filepath.Join(home, ".ssh/kh_web")}) {
		t.Errorf("from ssh_config: %+v", c)
	}
	if len(c.Jump) != 1 || c.Jump[0].User != "bob" || c.Jump[0].Port != 2200 || c.Jump[0].Address != "bastion.example.net" {
		t.Errorf("jump %+v", c.Jump[0])
	}

	c, err = r.Resolve(&inventory.Host{Name: "web-1", Address: "web-1", SSH: inventory.SSH{User: "deploy", Port: 22,
		Identity: "keys/id", KnownHosts: "known_hosts", Jump: "bastion"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "deploy" || c.Port != 22 || c.IdentityFiles[0] != "/inv/keys/id" || c.KnownHosts[0] != "/inv/known_hosts" {
		t.Errorf("inventory must win: %+v", c)
	}
	if j := c.Jump[0]; j.Name != "bastion" || j.User != "ops" || j.Address != "bastion.example.net" {
		t.Errorf("jump naming an inventory host: %+v", j)
	}

	c, _ = r.Resolve(&inventory.Host{Name: "db", Address: "10.9.9.9"})
	if c.User != "me" || c.Port != 0 || c.Addr() != "10.9.9.9:22" || c.IdentityFiles[0] != filepath.Join(home, ".ssh/id_ed25519") ||
		c.KnownHosts[0] != filepath.Join(home, ".ssh/known_hosts") || c.Jump != nil || c.AcceptNew {
		t.Errorf("defaults: %+v", c)
	}
}

func TestResolveJumpLoop(t *testing.T) {
	r := &Resolver{Home: t.TempDir(), Getenv: func(string) string { return "" }}
	if _, err := r.Resolve(&inventory.Host{Name: "a", Address: "a", SSH: inventory.SSH{Jump: "a"}}); err == nil {
		t.Error("a host jumping through itself was accepted")
	}
}

func TestKnownHostsBesideInventoryIsTheDefault(t *testing.T) {
	dir := t.TempDir()
	r := &Resolver{Inventory: &inventory.Inventory{Dir: dir}, Home: t.TempDir(), Getenv: func(string) string { return "" }}
	h := &inventory.Host{Name: "a", Address: "a"}
	if c, _ := r.Resolve(h); c.KnownHosts[0] != filepath.Join(r.Home, ".ssh", "known_hosts") {
		t.Errorf("without a file beside the inventory: %v", c.KnownHosts)
	}
	os.WriteFile(filepath.Join(dir, "known_hosts"), nil, 0o644)
	if c, _ := r.Resolve(h); c.KnownHosts[0] != filepath.Join(dir, "known_hosts") {
		t.Errorf("with a file beside the inventory: %v", c.KnownHosts)
	}
}
