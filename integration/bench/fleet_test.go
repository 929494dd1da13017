package bench

import (
	"strings"
	"testing"
)

func TestAddrUniqueAndLoopback(t *testing.T) {
	seen := map[string]int{}
	for i := 1; i <= 2000; i++ {
		a := Addr(i)
		if !strings.HasPrefix(a, "127.") || strings.HasSuffix(a, ".0") || strings.HasSuffix(a, ".255") || a == "127.0.0.1" {
			t.Fatalf("Addr(%d) = %s: not a usable loopback address", i, a)
		}
		if j, dup := seen[a]; dup {
			t.Fatalf("Addr(%d) = Addr(%d) = %s", i, j, a)
		}
		seen[a] = i
	}
	if Addr(1) != "127.0.0.2" || Addr(254) != "127.0.1.1" {
		t.Errorf("Addr(1), Addr(254) = %s, %s", Addr(1), Addr(254))
	}
}

// The berth inventory and the Ansible playbook must describe the same bytes: both spell the
// content as "<host> file <name>\n" + Pad.
func TestSameWorkForBerthAndAnsible(t *testing.T) {
	f := Fleet{Dir: "/tmp/b", Port: 2222, N: 2, K: 3}
	keys := Keys{Identity: "/tmp/b/ssh/id", KnownHosts: "/tmp/b/ssh/kh"}
	hcl := f.berthHCL(keys)
	if got := strings.Count(hcl, "\nfile \""); got != f.N*f.K {
		t.Errorf("berth inventory has %d file blocks, want %d", got, f.N*f.K)
	}
	if !strings.Contains(hcl, `file "/tmp/b/hosts/host2/f002" {`) || !strings.Contains(hcl, `content = "host2 file f002\n${local.pad}"`) {
		t.Errorf("berth inventory lacks host2's f002 with its content:\n%s", hcl)
	}
	pb := f.playbook(false)
	for _, want := range []string{`dest: "/tmp/b/hosts/{{ inventory_hostname }}/f{{ '%03d' % item }}"`,
		`content: "{{ inventory_hostname }} file f{{ '%03d' % item }}\n{{ pad }}"`, "range(3)", "gather_facts: false"} {
		if !strings.Contains(pb, want) {
			t.Errorf("playbook lacks %s:\n%s", want, pb)
		}
	}
	if Content(2, 2) != "host2 file f002\n"+Pad || strings.ContainsAny(Pad, "{}$%\"\\") {
		t.Errorf("Content or Pad changed shape: %q", Content(2, 2))
	}
	if !strings.Contains(f.ansibleCfg(keys), "forks = 5") || !strings.Contains(f.ansibleCfg(keys), "pipelining = True") {
		t.Error("ansible.cfg lacks forks or pipelining")
	}
}

func TestSSHDConfigCapsAddresses(t *testing.T) {
	f := Fleet{Dir: "/tmp/b", Port: 2222, N: 40}
	cfg := f.sshdConfig(Keys{}, 17, 32)
	if got := strings.Count(cfg, "ListenAddress "); got != listenPerDaemon {
		t.Errorf("%d ListenAddress lines, want %d", got, listenPerDaemon)
	}
	if !strings.Contains(cfg, "ListenAddress "+Addr(17)+":2222\n") || strings.Contains(cfg, "0.0.0.0") {
		t.Errorf("config listens on the wrong addresses:\n%s", cfg)
	}
}
