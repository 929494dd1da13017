package balancer

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

// web renders a one-frontend configuration with the given servers of stack hello.
func web(t *testing.T, servers ...Server) []byte {
	t.Helper()
	cfg := Config{
		Name:      "edge",
		Frontends: []Frontend{{Name: "web", Bind: ":8000", Backend: "hello_http"}},
		Backends:  []Backend{{Name: "hello_http", Servers: servers}},
	}
	out, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	hello0 = Server{Name: "hello-0", Address: "10.77.1.11", Port: 20000}
	hello1 = Server{Name: "hello-1", Address: "10.77.1.12", Port: 20000}
)

// planOn observes the resource on the fake host and returns its changes.
func planOn(t *testing.T, h *hosttest.Fake, r modules.Resource) []modules.Change {
	t.Helper()
	obs, err := h.Observe(context.Background(), r.Probes())
	if err != nil {
		t.Fatal(err)
	}
	return r.Diff(obs)
}

func TestConfigDiffReasons(t *testing.T) {
	moved := hello0
	moved.Address = "10.77.1.13"
	drained := hello1
	drained.Drain = true
	for _, tc := range []struct {
		name       string
		live       string // "" means no file
		want       []byte
		action     modules.Action
		reason     string
		wantBefore string
	}{
		{"first write", "", web(t, hello0), modules.Create,
			"no configuration yet; backend hello_http added: + hello-0 10.77.1.11:20000", ""},
		{"replica added and removed", string(web(t, hello0)), web(t, hello1), modules.Update,
			"backend hello_http: + hello-1 10.77.1.12:20000, - hello-0 10.77.1.11:20000", "1 frontend, 1 backend, 1 server, sha256:"},
		{"replica moved", string(web(t, hello0, hello1)), web(t, moved, hello1), modules.Update,
			"backend hello_http: ~ hello-0 10.77.1.11:20000 -> 10.77.1.13:20000", ""},
		{"replica drained", string(web(t, hello0, hello1)), web(t, hello0, drained), modules.Update,
			"backend hello_http: ~ hello-1 10.77.1.12:20000 -> 10.77.1.12:20000 weight 0", ""},
		{"frontend changed", strings.Replace(string(web(t, hello0)), "bind :8000", "bind :8001", 1), web(t, hello0), modules.Update,
			"frontends or settings differ", ""},
		{"packaged file", "global\n    log /dev/log local0\n\ndefaults\n    mode http\n", web(t, hello0), modules.Update,
			"replaces a configuration berth did not write; backend hello_http added: + hello-0 10.77.1.11:20000", "0 frontends, 0 backends, 0 servers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hosttest.New("lb")
			if tc.live != "" {
				h.SetFile(ConfigPath, tc.live, 0o644)
			}
			cs := planOn(t, h, NewConfig(tc.want))
			if len(cs) != 1 {
				t.Fatalf("changes: %+v", cs)
			}
			c := cs[0]
			if c.Action != tc.action || c.Op != OpWrite || c.Reason != tc.reason || c.Address != "balancer.haproxy.cfg" {
				t.Errorf("got %s %s %q\nwant %s write %q", c.Action, c.Op, c.Reason, tc.action, tc.reason)
			}
			if !strings.HasPrefix(c.Before, tc.wantBefore) {
				t.Errorf("before = %q, want prefix %q", c.Before, tc.wantBefore)
			}
		})
	}
}

func TestConfigUnchangedPlansNothing(t *testing.T) {
	h := hosttest.New("lb")
	h.SetFile(ConfigPath, string(web(t, hello0, hello1)), 0o644)
	if cs := planOn(t, h, NewConfig(web(t, hello1, hello0))); len(cs) != 0 {
		t.Fatalf("same servers in another order still plan: %+v", cs)
	}
	h.Files[ConfigPath].Mode = 0o600
	cs := planOn(t, h, NewConfig(web(t, hello0, hello1)))
	if len(cs) != 1 || cs[0].Reason != "mode 0600 root:root, want 0644 root:root" {
		t.Fatalf("mode change: %+v", cs)
	}
}

// lbHost is a fake balancer host where haproxy -c accepts everything and HAProxy runs.
func lbHost(live []byte) *hosttest.Fake {
	h := hosttest.New("lb")
	h.SetFile(ConfigPath, string(live), 0o644)
	h.Reply("haproxy -c", "", 0)
	h.Reply("rm -f", "", 0)
	h.Reply("systemctl is-active", "", 0)
	h.Reply("systemctl reload", "", 0)
	h.Reply("systemctl start", "", 0)
	return h
}

func apply(t *testing.T, h *hosttest.Fake, r *ConfigResource) error {
	t.Helper()
	cs := planOn(t, h, r)
	if len(cs) != 1 {
		t.Fatalf("changes: %+v", cs)
	}
	return r.Apply(context.Background(), h, cs[0])
}

func TestConfigApplyValidatesThenReplacesThenReloads(t *testing.T) {
	h := lbHost(web(t, hello0))
	next := web(t, hello0, hello1)
	if err := apply(t, h, NewConfig(next)); err != nil {
		t.Fatal(err)
	}
	var writes []string
	for _, w := range h.Written {
		writes = append(writes, w.Path)
		if string(w.Content) != string(next) || w.Mode != 0o644 || w.Owner != "root" {
			t.Errorf("write %s: mode %o owner %q, content differs: %v", w.Path, w.Mode, w.Owner, string(w.Content) != string(next))
		}
	}
	if strings.Join(writes, " ") != candidatePath+" "+ConfigPath {
		t.Errorf("writes: %v, want the candidate, then the live file", writes)
	}
	want := []string{
		"haproxy -c -f " + candidatePath,
		"rm -f -- " + candidatePath,
		"systemctl is-active --quiet -- haproxy",
		"systemctl reload -- haproxy",
	}
	if strings.Join(h.Ran, "\n") != strings.Join(want, "\n") {
		t.Errorf("ran:\n%s\nwant:\n%s", strings.Join(h.Ran, "\n"), strings.Join(want, "\n"))
	}
	if got := string(h.Files[ConfigPath].Data); got != string(next) {
		t.Errorf("live file not replaced")
	}
	if cs := planOn(t, h, NewConfig(next)); len(cs) != 0 {
		t.Errorf("second plan: %+v", cs)
	}
}

func TestConfigFailedCheckLeavesLiveFile(t *testing.T) {
	live := web(t, hello0)
	h := lbHost(live)
	h.Handle("haproxy -c", func([]string, []byte) modules.Result {
		return modules.Result{ExitCode: 1, Stderr: []byte("[NOTICE]   (831) : haproxy version is 2.6.12-1+deb12u4\n" +
			"[NOTICE]   (831) : path to executable is /usr/sbin/haproxy\n" +
			"[ALERT]    (831) : config : parsing [/etc/haproxy/haproxy.cfg.berth-new:29] : unknown keyword 'bogus' in 'global' section\n" +
			"[ALERT]    (831) : config : Error(s) found in configuration file : /etc/haproxy/haproxy.cfg.berth-new\n" +
			"[ALERT]    (831) : config : Fatal errors found in configuration.\n")}
	})
	err := apply(t, h, NewConfig(web(t, hello0, hello1)))
	if err == nil {
		t.Fatal("a rejected configuration applied")
	}
	for _, want := range []string{"on lb", "[ALERT]    (831) : config : parsing [/etc/haproxy/haproxy.cfg.berth-new:29] : unknown keyword 'bogus'", ConfigPath + " left as it was"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "NOTICE") {
		t.Errorf("error carries HAProxy's notices: %v", err)
	}
	if got := string(h.Files[ConfigPath].Data); got != string(live) {
		t.Errorf("live file changed after a failed check")
	}
	if _, left := h.Files[candidatePath]; left && !strings.Contains(strings.Join(h.Ran, "\n"), "rm -f -- "+candidatePath) {
		t.Errorf("candidate not removed")
	}
	for _, l := range h.Ran {
		if strings.HasPrefix(l, "systemctl") {
			t.Errorf("ran %q after a failed check", l)
		}
	}
}

func TestConfigNeverRestarts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		active int
		want   string
	}{
		{"running: reload", 0, "systemctl reload -- haproxy"},
		{"stopped: start", 3, "systemctl start -- haproxy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := lbHost(web(t, hello0))
			h.Reply("systemctl is-active", "", tc.active)
			if err := apply(t, h, NewConfig(web(t, hello1))); err != nil {
				t.Fatal(err)
			}
			if last := h.Ran[len(h.Ran)-1]; last != tc.want {
				t.Errorf("last command %q, want %q", last, tc.want)
			}
			for _, l := range h.Ran {
				if strings.Contains(l, "restart") {
					t.Errorf("ran %q", l)
				}
			}
		})
	}
}

func TestConfigReloadFailureNamesHost(t *testing.T) {
	h := lbHost(web(t, hello0))
	h.Reply("systemctl reload", "", 1)
	err := apply(t, h, NewConfig(web(t, hello1)))
	if err == nil || !strings.Contains(err.Error(), "systemctl reload haproxy on lb") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigPhaseIsBalance(t *testing.T) {
	var r modules.Resource = NewConfig(nil)
	p, ok := r.(modules.Phased)
	if !ok || p.Phase() != modules.PhaseBalance {
		t.Fatal("the configuration must apply in the balance phase")
	}
}

func TestServersReadsAnyFile(t *testing.T) {
	got := servers([]byte("frontend f\n  bind :80\nlisten stats\n  server s1 127.0.0.1:81\nbackend b # x\n  server a 10.0.0.1:80 check weight 50\n  server c [fd00::1]:80\n# server old 1.1.1.1:1\nglobal\n  server stray 1.2.3.4:5\n"))
	want := map[string]map[string]string{
		"stats": {"s1": "127.0.0.1:81"},
		"b":     {"a": "10.0.0.1:80 weight 50", "c": "[fd00::1]:80"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for b, ss := range want {
		for s, v := range ss {
			if got[b][s] != v || len(got[b]) != len(ss) {
				t.Errorf("%s/%s = %q, want %q (all: %v)", b, s, got[b][s], v, got)
			}
		}
	}
}
