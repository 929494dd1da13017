package balancer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/cert/certtest"
	"github.com/berth-dev/berth/modules"
)

func bundle(t *testing.T) (*cert.Bundle, certtest.Leaf) {
	t.Helper()
	ca, err := certtest.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"web.example.net"}, time.Now().Add(-time.Hour), time.Date(2031, 1, 2, 3, 4, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	b, err := cert.Parse(leaf.Bundle())
	if err != nil {
		t.Fatal(err)
	}
	return b, leaf
}

func TestCertPlanShowsFingerprintAndExpiryNeverTheKey(t *testing.T) {
	b, leaf := bundle(t)
	r := NewCert("web", b)
	h := lbHost(nil)
	cs := planOn(t, h, r)
	if len(cs) != 1 || cs[0].Action != modules.Create || cs[0].Reason != "no certificate yet" || !cs[0].Sensitive {
		t.Fatalf("first plan: %+v", cs)
	}
	want := "(sensitive), sha256 fingerprint " + b.Fingerprint + ", expires 2031-01-02 03:04 UTC (web.example.net), 0600 root:root"
	if cs[0].After != want {
		t.Errorf("after = %q\nwant    %q", cs[0].After, want)
	}
	js, _ := json.Marshal(cs)
	for _, out := range []string{string(js), fmt.Sprintf("%+v %+v", cs, r)} {
		if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, strings.Split(string(leaf.Key), "\n")[1]) {
			t.Errorf("the key shows:\n%s", out)
		}
	}

	if err := r.Apply(context.Background(), h, cs[0]); err != nil {
		t.Fatal(err)
	}
	w := h.Written[0]
	if w.Path != "/etc/haproxy/certs/web.pem" || w.Mode != 0o600 || w.Owner != "root" || w.Group != "root" || string(w.Content) != string(leaf.Bundle()) {
		t.Errorf("wrote %s %04o %s:%s", w.Path, w.Mode, w.Owner, w.Group)
	}
	if cs := planOn(t, h, r); len(cs) != 0 {
		t.Errorf("second plan: %+v", cs)
	}
	h.Files[CertPath("web")].Mode = 0o644
	if cs := planOn(t, h, r); len(cs) != 1 || cs[0].Reason != "mode 0644 root:root, want 0600 root:root" || !strings.HasPrefix(cs[0].Before, "(sensitive) ") {
		t.Errorf("mode drift: %+v", cs)
	}
	other, _ := bundle(t)
	if cs := planOn(t, h, NewCert("web", other)); len(cs) != 1 || !strings.HasPrefix(cs[0].Reason, "certificate differs") {
		t.Errorf("a new certificate: %+v", cs)
	}
}

func TestNewCertificateReloadsAnUnchangedConfiguration(t *testing.T) {
	cfg := web(t, hello0)
	h := lbHost(cfg)
	r := NewConfig(cfg, CertAddress("web"))
	if deps := r.DependsOn(); len(deps) != 1 || deps[0] != "balancer.cert.web" {
		t.Fatalf("depends on %v", deps)
	}
	if own := planOn(t, h, r); len(own) != 0 {
		t.Fatalf("unchanged configuration plans %+v", own)
	}
	cs := r.Notify(nil, []string{CertAddress("web")})
	if len(cs) != 1 {
		t.Fatalf("changes: %+v", cs)
	}
	c := cs[0]
	if c.Address != ConfigAddress || c.Op != OpReload || c.Reason != "reload HAProxy: changed balancer.cert.web" {
		t.Fatalf("configuration change: %+v", c)
	}
	if err := r.Apply(context.Background(), h, c); err != nil {
		t.Fatal(err)
	}
	want := "haproxy -c -f " + ConfigPath + "\nsystemctl is-active --quiet -- haproxy\nsystemctl reload -- haproxy"
	if got := strings.Join(h.Ran, "\n"); got != want {
		t.Errorf("ran:\n%s\nwant:\n%s", got, want)
	}
	// A configuration that changes anyway reloads once, through its write.
	next := NewConfig(web(t, hello0, hello1), CertAddress("web"))
	own := planOn(t, h, next)
	if cs := next.Notify(own, []string{CertAddress("web")}); len(cs) != 1 || cs[0].Op != OpWrite {
		t.Errorf("changes: %+v", cs)
	}
}

func TestReloadRefusedLeavesHAProxy(t *testing.T) {
	h := lbHost(web(t, hello0))
	h.Reply("haproxy -c", "[ALERT]    (1) : config : parsing [/etc/haproxy/haproxy.cfg:30] : 'bind :443' : unable to load SSL private key", 1)
	err := NewConfig(nil).Apply(context.Background(), h, modules.Change{Op: OpReload})
	if err == nil || !strings.Contains(err.Error(), "HAProxy not reloaded") || strings.Contains(strings.Join(h.Ran, "\n"), "systemctl") {
		t.Errorf("error %v, ran %v", err, h.Ran)
	}
}
