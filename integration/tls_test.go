package integration

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/cert"
	"github.com/berth-dev/berth/cert/certtest"
	"github.com/berth-dev/berth/integration/testbed"
)

// TLS termination on a real HAProxy through the berth binary: stack "hello" on h1, balancer
// "edge" on h2 terminating TLS on :443 with a certificate from a test CA, :80 redirecting.

const tlsMain = `stack "hello" {
  compose  = "stacks/hello"
  replicas = 1
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "60s"
  }
}

balancer "edge" {
  hosts = "role=lb"
  frontend "web" {
    bind             = ":443"
    stack            = "hello"
    port             = "http"
    certificate_file = "certs/web.pem"
    redirect_http    = ":80"
  }
}
`

// tlsHosts makes h1 the app host and h2 the balancer.
func tlsHosts(bed *testbed.Bed) string {
	var s strings.Builder
	fmt.Fprintf(&s, "defaults {\n  ssh {\n    user        = %q\n    identity    = %q\n    known_hosts = \"known_hosts\"\n  }\n  port_range = \"20000-29999\"\n}\n", testbed.TestUser, bed.KeyFile)
	for _, h := range bed.Hosts {
		role := "app"
		if h.Name == "h2" {
			role = "lb"
		}
		fmt.Fprintf(&s, "\nhost %q {\n  address = %q\n  labels  = { role = %q }\n}\n", h.Name, h.Address, role)
	}
	return s.String()
}

func TestTLSFrontend(t *testing.T) {
	bed := sharedBed(t, "mixed-docker:2+registry")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lb := bed.Host("h2")
	p := &placementRun{bin: berthBinary(t), dir: filepath.Join(t.TempDir(), "inv"), bed: bed}
	if err := bed.WriteInventory(p.dir); err != nil {
		t.Fatal(err)
	}
	ca, err := certtest.NewCA("berth TLS test CA")
	if err != nil {
		t.Fatal(err)
	}
	good, err := ca.Issue([]string{lb.Address}, time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := ca.Issue([]string{lb.Address}, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"hosts.hcl":                 tlsHosts(bed),
		"main.hcl":                  tlsMain,
		"certs/web.pem":             string(good.Bundle()),
		"stacks/hello/compose.yaml": strings.NewReplacer("IMAGE", bed.Registry.Image, "STACK", "hello").Replace(placementCompose),
	}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
	}
	var outputs []string // every berth output, checked for the keys at the end
	run := func(want int, args ...string) string {
		t.Helper()
		out := p.berth(ctx, t, want, args...)
		outputs = append(outputs, strings.Join(args, " ")+"\n"+out)
		return out
	}
	goodFP := fingerprintOf(t, good)

	t.Run("apply ships the certificate 0600 and the plan shows its fingerprint, not its content", func(t *testing.T) {
		out := run(0, "apply", p.dir, "--yes")
		if !strings.Contains(out, "balancer.cert.web") || !strings.Contains(out, "(sensitive), sha256 fingerprint") || !strings.Contains(out, goodFP) {
			t.Errorf("the apply does not show the certificate's fingerprint:\n%s", out)
		}
		if got := p.exec(ctx, t, lb, "stat", "-c", "%a %U:%G", "/etc/haproxy/certs/web.pem"); got != "600 root:root" {
			t.Errorf("certificate file is %s, want 600 root:root", got)
		}
		if out := run(0, "drift", p.dir); !strings.Contains(out, "No changes") {
			t.Errorf("drift after apply:\n%s", out)
		}
	})
	t.Run("a client trusting the test CA gets the page over HTTPS", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca.PEM)
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		var body string
		eventually(t, 30*time.Second, func() bool {
			resp, err := client.Get("https://" + lb.Address + "/")
			if err != nil {
				t.Logf("GET https: %v", err)
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return resp.StatusCode == 200
		}, "HTTPS through HAProxy answers 200")
		if !strings.HasPrefix(body, "hello ") {
			t.Errorf("body %q, want the hello page", body)
		}
		if fp := servedFingerprint(t, lb.Address); fp != goodFP {
			t.Errorf("HAProxy serves %s, want %s", fp, goodFP)
		}
	})
	t.Run("plain HTTP is redirected to HTTPS with host, path and query", func(t *testing.T) {
		client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get("http://" + lb.Address + "/some/page?x=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "https://" + lb.Address + "/some/page?x=1"
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("got %d Location %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
	t.Run("an expired certificate: validate refuses it, apply warns and ships it, drift exits 2 naming frontend and expiry", func(t *testing.T) {
		writeFile(t, filepath.Join(p.dir, "certs/web.pem"), string(expired.Bundle()))
		bundle, err := cert.Parse(expired.Bundle())
		if err != nil {
			t.Fatal(err)
		}
		msg := fmt.Sprintf(`certificate of frontend "web" (balancer "edge") expired on %s`, bundle.NotAfter.Format(cert.DateFormat))
		if out := run(1, "validate", p.dir); !strings.Contains(out, "Certificate expired") || !strings.Contains(out, msg) || !strings.Contains(out, "main.hcl line 21") {
			t.Errorf("validate does not refuse the expired certificate at main.hcl line 21:\n%s", out)
		}
		out := run(0, "apply", p.dir, "--yes")
		if !strings.Contains(out, msg) || !strings.Contains(out, "reload HAProxy: changed balancer.cert.web") {
			t.Errorf("apply does not warn or does not reload:\n%s", out)
		}
		expiredFP := fingerprintOf(t, expired)
		eventually(t, 20*time.Second, func() bool { return servedFingerprint(t, lb.Address) == expiredFP }, "HAProxy serves the new certificate after the reload")
		out = run(2, "drift", p.dir)
		t.Logf("drift, for the record:\n%s", out)
		if !strings.Contains(out, msg) || !strings.Contains(out, "No changes on 2 hosts. 1 certificate expired.") {
			t.Errorf("drift does not say which certificate expired when:\n%s", out)
		}
	})
	t.Run("the private keys appear in no output", func(t *testing.T) {
		for _, o := range outputs {
			for _, k := range []certtest.Leaf{good, expired} {
				for _, line := range strings.Split(strings.TrimSpace(string(k.Key)), "\n") {
					if strings.Contains(o, line) {
						t.Errorf("a line of a private key (%q) appears in berth output:\n%s", line, o)
					}
				}
			}
		}
	})
}

func fingerprintOf(t *testing.T, l certtest.Leaf) string {
	t.Helper()
	b, err := cert.Parse(l.Bundle())
	if err != nil {
		t.Fatal(err)
	}
	return b.Fingerprint
}

// servedFingerprint is the SHA-256 fingerprint of the certificate served on addr:443, in
// cert's notation; "" when the handshake fails.
func servedFingerprint(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr+":443", &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Logf("TLS handshake with %s: %v", addr, err)
		return ""
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	var parts []string
	for _, c := range sum {
		parts = append(parts, fmt.Sprintf("%02X", c))
	}
	return strings.Join(parts, ":")
}
