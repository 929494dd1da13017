package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

const pw = "canary-reg-Hq71"

func spec() Spec { return Spec{Server: "reg.test:5001", Username: "deploy", Password: []byte(pw)} }

func probe(mode, config string) []modules.ProbeResult {
	if config == "" {
		return []modules.ProbeResult{{}}
	}
	return []modules.ProbeResult{{Stdout: []byte(mode + "\n" + config)}}
}

func configWith(server, auth string) string {
	return fmt.Sprintf(`{"auths":{"other.test":{"auth":"b3RoZXI6eA=="},%q:{"auth":%q}}}`, server, auth)
}

func TestDiff(t *testing.T) {
	r := New(spec())
	good := Auth("deploy", []byte(pw))
	for _, tc := range []struct {
		name, mode, config string
		want               string // "" for no change, else "ACTION reason"
	}{
		{"no configuration", "", "", "+ not logged in"},
		{"logged in elsewhere only", "600", configWith("elsewhere.test", good), "+ not logged in"},
		{"same credentials", "600", configWith("reg.test:5001", good), ""},
		{"other password", "600", configWith("reg.test:5001", Auth("deploy", []byte("old-password"))), "~ the stored credentials differ"},
		{"other user", "600", configWith("reg.test:5001", Auth("ci", []byte(pw))), "~ the stored credentials differ"},
		{"loose mode", "644", configWith("reg.test:5001", good), "~ the Docker client configuration is mode 644, want 600"},
		{"broken file", "600", "{", "~ the Docker client configuration is not valid JSON"},
		{"credential helper", "600", `{"credsStore":"pass","auths":{"reg.test:5001":{}}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := r.Diff(probe(tc.mode, tc.config))
			got := ""
			if len(cs) == 1 {
				got = cs[0].Action.String() + " " + cs[0].Reason
			} else if len(cs) > 1 {
				t.Fatalf("%d changes", len(cs))
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for _, c := range cs {
				all := fmt.Sprintf("%+v %s %s %s", c, c.Before, c.After, c.Reason)
				if strings.Contains(all, pw) || strings.Contains(all, good) || !c.Sensitive {
					t.Fatalf("change shows the credentials or is not sensitive: %s", all)
				}
			}
		})
	}
}

func TestApplySendsPasswordOnStdinOnly(t *testing.T) {
	h := hosttest.New("h1")
	h.Reply("sh -c 'docker login", "", 0)
	r := New(spec())
	if err := r.Apply(context.Background(), h, modules.Change{}); err != nil {
		t.Fatal(err)
	}
	if len(h.Ran) != 1 || strings.Contains(h.Ran[0], pw) || string(h.Stdins[0]) != pw {
		t.Fatalf("ran %q with stdin %q", h.Ran, h.Stdins)
	}
	if !strings.Contains(h.Ran[0], "--password-stdin") || !strings.Contains(h.Ran[0], "reg.test:5001") {
		t.Fatalf("ran %q", h.Ran)
	}
}

func TestWrongPasswordNamesRegistryAndHost(t *testing.T) {
	h := hosttest.New("h2")
	h.Handle("sh -c 'docker login", func([]string, []byte) modules.Result {
		return modules.Result{Stderr: []byte("Error response from daemon: login attempt to https://reg.test:5001/v2/ failed with status: 401 Unauthorized"), ExitCode: 1}
	})
	err := New(spec()).Apply(context.Background(), h, modules.Change{})
	if err == nil || !strings.Contains(err.Error(), "reg.test:5001") || !strings.Contains(err.Error(), "on h2") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
}
