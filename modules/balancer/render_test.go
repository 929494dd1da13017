package balancer

import (
	"flag"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/cert/certtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func edge() Config {
	return Config{
		Name: "edge",
		Frontends: []Frontend{
			{Name: "postgres", Bind: "10.0.0.5:5432", Mode: TCP, Backend: "db_pg"},
			{Name: "https", Bind: ":8443", Backend: "directory_http"},
			{Name: "api", Bind: "*:8080", Mode: HTTP, Backend: "api_http"},
		},
		Backends: []Backend{
			{Name: "directory_http", Check: &HTTPCheck{Path: "/healthz?full=1", Host: "directory.example.net", Status: 200}, Servers: []Server{
				{Name: "directory-10", Address: "10.1.0.20", Port: 20010},
				{Name: "directory-2", Address: "10.1.0.12", Port: 20000, Weight: 50},
				{Name: "directory-1", Address: "localhost", Port: 20000, Drain: true},
			}},
			{Name: "api_http", Check: &HTTPCheck{}, Servers: []Server{{Name: "api-0", Address: "fd00::11", Port: 20001}}},
			{Name: "db_pg", Mode: TCP},
		},
	}
}

// minimal is a frontend to a stack that has no replica yet.
func minimal() Config {
	return Config{
		Frontends: []Frontend{{Name: "web", Bind: ":80", Backend: "web_http"}},
		Backends:  []Backend{{Name: "web_http"}},
	}
}

// tls terminates TLS on three frontends, two of which redirect plain HTTP to them.
func tls() Config {
	return Config{
		Name: "edge",
		Frontends: []Frontend{
			{Name: "web", Bind: ":443", Backend: "web_http", Certificate: CertPath("web"), RedirectHTTP: ":80"},
			{Name: "admin", Bind: "10.0.0.5:8443", Backend: "web_http", Certificate: CertPath("admin"), RedirectHTTP: "10.0.0.5:8080"},
			{Name: "pg", Bind: ":5433", Mode: TCP, Backend: "db_pg", Certificate: CertPath("pg")},
		},
		Backends: []Backend{
			{Name: "web_http", Servers: []Server{{Name: "web-0", Address: "10.1.0.11", Port: 20000}}},
			{Name: "db_pg", Mode: TCP},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	for name, cfg := range map[string]Config{"edge.golden": edge(), "minimal.golden": minimal(), "tls.golden": tls()} {
		t.Run(name, func(t *testing.T) {
			got, err := Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, got)
			haproxyCheck(t, got)
		})
	}
}

// haproxyCheck runs `haproxy -c` on the rendered file when haproxy is installed; the
// integration tests run it on a real balancer host regardless.
func haproxyCheck(t *testing.T, cfg []byte) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Log("haproxy not installed: configuration not checked by haproxy -c")
		return
	}
	// Drop what needs root or a system layout (user, chroot, socket directory).
	var lines []string
	for _, l := range strings.Split(string(cfg), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == "user" || f[0] == "group" || f[0] == "chroot" || (f[0] == "stats" && f[1] == "socket")) {
			continue
		}
		lines = append(lines, l)
	}
	text := withTestCertificates(t, strings.Join(lines, "\n"))
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "WARNING") {
		t.Errorf("haproxy -c: %v\n%s", err, out)
	}
}

// withTestCertificates points every "ssl crt" of cfg at a fresh test bundle, since haproxy
// -c loads the certificates.
func withTestCertificates(t *testing.T, cfg string) string {
	t.Helper()
	if !strings.Contains(cfg, " ssl crt "+CertDir) {
		return cfg
	}
	ca, err := certtest.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.pem"), leaf.Bundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(` ssl crt `+CertDir+`/\S+`).ReplaceAllString(cfg, " ssl crt "+filepath.Join(dir, "test.pem"))
}

func TestRenderDeterministic(t *testing.T) {
	want, err := Render(edge())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for range 50 {
		cfg := edge()
		rng.Shuffle(len(cfg.Frontends), func(i, j int) { cfg.Frontends[i], cfg.Frontends[j] = cfg.Frontends[j], cfg.Frontends[i] })
		rng.Shuffle(len(cfg.Backends), func(i, j int) { cfg.Backends[i], cfg.Backends[j] = cfg.Backends[j], cfg.Backends[i] })
		for _, b := range cfg.Backends {
			rng.Shuffle(len(b.Servers), func(i, j int) { b.Servers[i], b.Servers[j] = b.Servers[j], b.Servers[i] })
		}
		if got, _ := Render(cfg); string(got) != string(want) {
			t.Fatalf("another input order, another output:\n%s", got)
		}
	}
}

func TestRenderRejectsInjection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"newline in server name", func(c *Config) { c.Backends[0].Servers[0].Name = "x\n    server evil 1.2.3.4:80" }, `server "x\n    server evil 1.2.3.4:80": names may hold`},
		{"comment in backend name", func(c *Config) { c.Backends[2].Name = "db#x"; c.Frontends[0].Backend = "db#x" }, `backend "db#x": names may hold`},
		{"space in address", func(c *Config) { c.Backends[0].Servers[0].Address = "10.0.0.1 backup" }, `address "10.0.0.1 backup" is not an IP address`},
		{"path with space", func(c *Config) { c.Backends[0].Check.Path = "/ HTTP/1.0" }, `health check path "/ HTTP/1.0" must start with /`},
		{"path with variable", func(c *Config) { c.Backends[0].Check.Path = "/${HOME}" }, `health check path "/${HOME}"`},
		{"host with newline", func(c *Config) { c.Backends[0].Check.Host = "a\nb" }, `health check host "a\nb"`},
		{"lowercase method", func(c *Config) { c.Backends[0].Check.Method = "get x" }, `method "get x"`},
		{"bind option", func(c *Config) { c.Frontends[1].Bind = ":443 ssl crt /x" }, `bind ":443 ssl crt /x": port must be`},
		{"bind no port", func(c *Config) { c.Frontends[1].Bind = "10.0.0.1" }, `must be [ADDRESS]:PORT`},
		{"balancer name", func(c *Config) { c.Name = "edge\nglobal" }, `balancer "edge\nglobal": names may hold`},
		{"unknown backend", func(c *Config) { c.Frontends[1].Backend = "nope" }, `frontend "https": backend "nope" is not defined`},
		{"duplicate bind", func(c *Config) { c.Frontends[1].Bind = "*:8080" }, `frontends "api" and "https" both bind "*:8080"`},
		{"duplicate backend", func(c *Config) { c.Backends[2].Name = "api_http"; c.Frontends[0].Backend = "api_http" }, `backend "api_http" is defined twice`},
		{"duplicate server", func(c *Config) { c.Backends[0].Servers[1].Name = "directory-10" }, `server "directory-10" is listed twice`},
		{"port", func(c *Config) { c.Backends[0].Servers[1].Port = 0 }, `port 0 is not within 1-65535`},
		{"weight", func(c *Config) { c.Backends[0].Servers[1].Weight = 300 }, `weight 300`},
		{"mode", func(c *Config) { c.Frontends[0].Mode = "udp" }, `mode "udp" is not http or tcp`},
		{"no frontend", func(c *Config) { c.Frontends = nil }, `no frontend`},
		{"status", func(c *Config) { c.Backends[0].Check.Status = 99 }, `status 99`},
		{"certificate path option", func(c *Config) { c.Frontends[1].Certificate = "/x.pem verify none" }, `certificate path "/x.pem verify none" must be absolute`},
		{"relative certificate", func(c *Config) { c.Frontends[1].Certificate = "certs/x.pem" }, `certificate path "certs/x.pem" must be absolute`},
		{"redirect without certificate", func(c *Config) { c.Frontends[1].RedirectHTTP = ":80" }, `frontend "https": redirect from ":80" to HTTPS needs a certificate`},
		{"redirect bind option", func(c *Config) {
			c.Frontends[1].Certificate = CertPath("https")
			c.Frontends[1].RedirectHTTP = ":80 ssl"
		}, `redirect: bind ":80 ssl"`},
		{"redirect on a frontend's bind", func(c *Config) {
			c.Frontends[1].Certificate, c.Frontends[1].RedirectHTTP = CertPath("https"), "*:8080"
		}, `frontends "api" and "https-redirect" both bind "*:8080"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := edge()
			tc.change(&cfg)
			out, err := Render(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Render = %v, want an error containing %q\n%s", err, tc.want, out)
			}
		})
	}
}

func TestNaturalLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"web-2", "web-10", true}, {"web-10", "web-2", false}, {"web-1", "web-1", false},
		{"a-01", "a-1", true}, {"a-1", "a-01", false}, {"api-0", "web-0", true}, {"web", "web-0", true},
	} {
		if got := naturalLess(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestNames(t *testing.T) {
	if got := BackendName("directory", "http"); got != "directory_http" {
		t.Error(got)
	}
	if got := ServerName("directory", 3); got != "directory-3" {
		t.Error(got)
	}
}

// A backend of a Swarm stack retries idempotent requests that a stopped task dropped, and
// only those; a TCP backend has no HTTP retry.
func TestRenderRetryIdempotent(t *testing.T) {
	cfg := Config{
		Frontends: []Frontend{{Name: "web", Bind: ":80", Backend: "web-http"}, {Name: "db", Bind: ":5432", Mode: TCP, Backend: "db-tcp"}},
		Backends: []Backend{
			{Name: "web-http", RetryIdempotent: true, Servers: []Server{{Name: "web-1", Address: "10.0.0.1", Port: 8080}}},
			{Name: "db-tcp", Mode: TCP, RetryIdempotent: true, Servers: []Server{{Name: "db-1", Address: "10.0.0.1", Port: 5432}}},
		},
	}
	out, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	web := string(out[strings.Index(string(out), "backend web-http"):])
	if !strings.Contains(web, "    retry-on conn-failure empty-response\n    http-request disable-l7-retry if !METH_GET\n") {
		t.Errorf("web backend:\n%s", web)
	}
	db := string(out[strings.Index(string(out), "backend db-tcp"):strings.Index(string(out), "backend web-http")])
	if strings.Contains(db, "retry-on") {
		t.Errorf("tcp backend:\n%s", db)
	}
}
