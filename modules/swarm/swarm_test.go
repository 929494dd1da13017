package swarm

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/modules/hosttest"
)

const compose = `{"name":"web","services":{"web":{"image":"reg/web:1","environment":{"GREETING":"${GREETING}"},"deploy":{"resources":{"limits":{"cpus":"0.25"}}}},"db":{"image":"reg/db:2"}}}`

func spec() StackSpec {
	return StackSpec{Name: "web", Compose: []byte(compose), Env: []byte("GREETING=hello-canary\n"), Replicas: 2,
		PlaceLabel: "berth.stack.web", Spread: "zone", CPUs: 0.5, Strategy: "start-first",
		Ports: []Port{{Name: "http", Service: "web", Container: 8080, Host: 18080}}}
}

// The stack file is a 3.8 file with the deploy section berth owns, ports in host mode, and
// the env file's values nowhere in it.
func TestRenderWritesTheDeploySection(t *testing.T) {
	r, err := Render(spec())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.File), "hello-canary") {
		t.Fatalf("the stack file holds an env value:\n%s", r.File)
	}
	var m struct {
		Version  string
		Name     *string
		Services map[string]map[string]any
	}
	if err := json.Unmarshal(r.File, &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != "3.8" || m.Name != nil {
		t.Errorf("version %q, name %v", m.Version, m.Name)
	}
	web, _ := json.Marshal(m.Services["web"])
	for _, want := range []string{
		`"replicas":2`, `"constraints":["node.labels.berth.stack.web==true"]`, `"preferences":[{"spread":"node.labels.zone"}]`,
		`"order":"start-first"`, `"failure_action":"rollback"`, `"reservations":{"cpus":"0.5"}`, `"limits":{"cpus":"0.25"}`,
		`"ports":[{"mode":"host","protocol":"tcp","published":18080,"target":8080}]`, `"GREETING":"${GREETING}"`,
	} {
		if !strings.Contains(string(web), want) {
			t.Errorf("service web lacks %s:\n%s", want, web)
		}
	}
	if strings.Contains(mustJSON(m.Services["db"]), "ports") {
		t.Errorf("db publishes a port: %v", m.Services["db"])
	}
	if r.Services["web"].Hash == r.Services["db"].Hash || r.Services["web"].EnvHash == "" {
		t.Errorf("hashes: %+v", r.Services)
	}
}

// A change of the env file alone changes every service's hash: the plan deploys again.
func TestRenderHashFollowsTheEnv(t *testing.T) {
	a, _ := Render(spec())
	s := spec()
	s.Env = []byte("GREETING=bonjour\n")
	b, _ := Render(s)
	if a.Services["web"].Hash == b.Services["web"].Hash {
		t.Error("the hash did not change with the env file")
	}
	c, _ := Render(spec())
	if string(a.File) != string(c.File) {
		t.Error("the same stack renders two files")
	}
}

func TestRenderRefusesWhatStackDeployDoesNotRead(t *testing.T) {
	s := spec()
	s.Compose = []byte(`{"services":{"web":{"image":"x","pull_policy":"always"}}}`)
	if _, err := Render(s); err == nil || !strings.Contains(err.Error(), `service web: "pull_policy"`) {
		t.Errorf("err = %v", err)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func observe(t *testing.T, h *hosttest.Fake, r modules.Resource) []modules.ProbeResult {
	t.Helper()
	res, err := h.Observe(context.Background(), r.Probes())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A host joins with the token the leader observed, sent on stdin to the Docker API: the
// token is in no argument and in no change.
func TestJoinSendsTheTokenOnStdinOnly(t *testing.T) {
	const tok = "SWMTKN-1-canary"
	c := NewCluster("h1", "10.0.0.1")
	leader := hosttest.New("h1")
	leader.Reply("docker info", `{"LocalNodeState":"active","ControlAvailable":true}`, 0)
	leader.Reply("docker swarm join-token -q worker", tok+"\n", 0)
	leader.Reply("docker swarm join-token -q manager", "SWMTKN-1-manager\n", 0)
	ln := NewNode(NodeSpec{Host: "h1", Address: "10.0.0.1", Manager: true, Leader: true}, c)
	if cs := ln.Diff(observe(t, leader, ln)); len(cs) != 0 {
		t.Fatalf("leader changes: %v", cs)
	}
	w := hosttest.New("h2")
	w.Reply("docker info", `{"LocalNodeState":"inactive"}`, 0)
	w.Reply("python3", "", 0)
	wn := NewNode(NodeSpec{Host: "h2", Address: "10.0.0.2"}, c)
	cs := wn.Diff(observe(t, w, wn))
	if len(cs) != 1 || cs[0].Op != OpJoin || wn.Phase() != modules.PhaseSwarmJoin {
		t.Fatalf("changes %v", cs)
	}
	if strings.Contains(mustJSON(cs[0]), tok) {
		t.Fatalf("the change holds the token: %v", cs[0])
	}
	if err := wn.Apply(context.Background(), w, cs[0]); err != nil {
		t.Fatal(err)
	}
	for i, line := range w.Ran {
		if strings.Contains(line, tok) {
			t.Errorf("the token is on a command line: %s", line)
		}
		if strings.HasPrefix(line, "python3") && !strings.Contains(string(w.Stdins[i]), `"JoinToken":"`+tok+`"`) {
			t.Errorf("the join request lacks the token: %s", w.Stdins[i])
		}
	}
}

// Without the leader in the run, a join has no token and says why.
func TestJoinWithoutTokenFails(t *testing.T) {
	w := hosttest.New("h2")
	wn := NewNode(NodeSpec{Host: "h2", Address: "10.0.0.2"}, NewCluster("h1", "10.0.0.1"))
	err := wn.Apply(context.Background(), w, modules.Change{Op: OpJoin})
	if err == nil || !strings.Contains(err.Error(), "no join token") || len(w.Ran) != 0 {
		t.Errorf("err = %v, ran %v", err, w.Ran)
	}
}

// A worker of another swarm is refused, not joined again.
func TestNodeInAnotherSwarmIsRefused(t *testing.T) {
	w := hosttest.New("h2")
	w.Reply("docker info", `{"LocalNodeState":"active","RemoteManagers":[{"Addr":"10.9.9.9:2377"}]}`, 0)
	wn := NewNode(NodeSpec{Host: "h2", Address: "10.0.0.2"}, NewCluster("h1", "10.0.0.1"))
	if err := wn.Check(observe(t, w, wn)); err == nil || !strings.Contains(err.Error(), "another swarm") {
		t.Errorf("err = %v", err)
	}
}

const nodesJSON = `[{"ID":"n1","Spec":{"Labels":{"role":"app"},"Role":"manager","Availability":"active"},"Status":{"State":"ready","Addr":"0.0.0.0"},"ManagerStatus":{"Addr":"10.0.0.1:2377"}},
{"ID":"n2","Spec":{"Labels":{"role":"app","old":"x"},"Role":"worker","Availability":"drain"},"Status":{"State":"down","Addr":"10.0.0.2"}}]`

// Labels and availability differ: one change per node, the node found by its address; a down
// node is reported by Status, whose apply fails saying what to do.
func TestNodesLabelsAvailabilityAndDown(t *testing.T) {
	h := hosttest.New("h1")
	h.Reply("sh -c", nodesJSON, 0)
	ms := []Member{
		{Host: "h2", Address: "10.0.0.2", Labels: map[string]string{"role": "app"}, Manager: true},
		{Host: "h1", Address: "10.0.0.1", Labels: map[string]string{"role": "app"}, Manager: true},
		{Host: "h3", Address: "10.0.0.3", Labels: map[string]string{"role": "app"}},
	}
	nodes := NewNodes(ms)
	var got []string
	for _, c := range nodes.Diff(observe(t, h, nodes)) {
		got = append(got, c.Action.String()+" "+c.Address+": "+c.Reason)
	}
	want := "~ swarm.node.h2: labels -old; availability drain, want active; role worker, want manager\n+ swarm.node.h3: labels and availability once the host is in the swarm"
	if strings.Join(got, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	st := NewStatus(ms)
	cs := st.Diff(observe(t, h, st))
	if len(cs) != 1 || cs[0].Address != "swarm.node.h2" || !strings.Contains(cs[0].Reason, "is down") {
		t.Fatalf("status: %v", cs)
	}
	if err := st.Apply(context.Background(), h, cs[0]); err == nil || !strings.Contains(err.Error(), "bring the host back") {
		t.Errorf("apply of a down node: %v", err)
	}
}

func serviceJSON(hash, env, image string, replicas int) string {
	return `[{"Spec":{"Name":"web_web","Labels":{"berth.hash":"` + hash + `","berth.env-hash":"` + env + `"},"Mode":{"Replicated":{"Replicas":` + itoa(replicas) + `}},"TaskTemplate":{"ContainerSpec":{"Image":"` + image + `@sha256:1"},"Placement":{"Constraints":["node.labels.berth.stack.web==true"]}}},"UpdateStatus":{"State":"completed"}}]`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// The plan of a Swarm stack: nothing when every service carries its hash and runs its
// tasks; service-level reasons when it differs; a convergence wait when tasks are missing.
func TestStackDiff(t *testing.T) {
	s := spec()
	s.Compose = []byte(`{"services":{"web":{"image":"reg/web:1"}}}`)
	st, err := NewStack(s)
	if err != nil {
		t.Fatal(err)
	}
	want := st.rendered.Services["web"]
	cases := []struct{ name, inspect, counts, want string }{
		{"not deployed", "", "", "+ deploy: not deployed on the swarm"},
		{"same", serviceJSON(want.Hash, want.EnvHash, "reg/web:1", 2), "web_web 2/2", ""},
		{"image and replicas", serviceJSON("old", want.EnvHash, "reg/web:0", 3), "web_web 3/3", "~ deploy: service web: image reg/web:0, want reg/web:1; service web: 3 replicas, want 2"},
		{"env", serviceJSON("old", "other", "reg/web:1", 2), "web_web 2/2", "~ deploy: service web: env changed (sensitive)"},
		{"tasks missing", serviceJSON(want.Hash, want.EnvHash, "reg/web:1", 2), "web_web 1/2", "± converge: service web: 1 of 2 tasks running"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := hosttest.New("h1")
			h.Reply("sh -c", tc.inspect, 0)
			h.Reply("docker service ls", tc.counts, 0)
			var got []string
			for _, c := range st.Diff(observe(t, h, st)) {
				got = append(got, c.Action.String()+" "+c.Op+": "+c.Reason)
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}

// The deploy gives docker stack deploy the env on stdin, never as an argument, and writes
// the env file 0600 beside the stack file.
func TestStackDeployEnvOnStdin(t *testing.T) {
	st, err := NewStack(spec())
	if err != nil {
		t.Fatal(err)
	}
	h := hosttest.New("h1")
	h.Reply("sh -c", "", 0)
	h.Reply("docker service ls", "", 0)
	if err := st.deploy(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	for i, line := range h.Ran {
		if strings.Contains(line, "hello-canary") {
			t.Errorf("env value on a command line: %s", line)
		}
		if strings.Contains(line, "docker stack deploy") && string(h.Stdins[i]) != "GREETING=hello-canary\n" {
			t.Errorf("stdin %q", h.Stdins[i])
		}
	}
	for _, w := range h.Written {
		if strings.HasSuffix(w.Path, "/.env") && w.Mode != 0o600 {
			t.Errorf(".env mode %v", w.Mode)
		}
	}
}

// The stack's networks are named NAME-swarm_NET, apart from the NAME_NET networks compose
// gives the same stack's static replicas; external and named networks stay as written.
func TestRenderNamesNetworksApartFromCompose(t *testing.T) {
	compose := `{"services":{"web":{"image":"x","networks":["front","ext"]},"db":{"image":"y"}},
"networks":{"front":null,"ext":{"external":true,"name":"shared"},"named":{"name":"mine"}}}`
	r, err := Render(StackSpec{Name: "shop", Compose: []byte(compose), Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Networks map[string]map[string]any `json:"networks"`
	}
	if err := json.Unmarshal(r.File, &m); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for k, v := range m.Networks {
		got[k] = v["name"]
	}
	want := map[string]any{"default": "shop-swarm_default", "front": "shop-swarm_front", "ext": "shared", "named": "mine"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("network names %v, want %v", got, want)
	}
}
