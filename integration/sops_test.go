package integration

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SOPS through the berth binary: a stack's env file encrypted with SOPS (age) deploys, and
// the container sees the decrypted values; berth decrypted it in memory, so the plaintext is
// in none of its outputs, its temp directory, its home or the inventory directory. A missing
// key and a tampered file are validate errors naming the file.
//
// testdata/sops/app.env.enc was written by sops 3.13.3 (sops encrypt --age RECIPIENT
// --input-type dotenv --output-type dotenv) for the throwaway key in testdata/sops/age-key.txt.

const sopsCanary = "canary-sops-Rv58-never-print" // API_TOKEN in app.env.enc

const sopsHCL = `
stack "sopsapp" {
  compose  = "stacks/sopsapp"
  env_file = "secrets/app.env.enc"
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "30s"
  }
}
`

const sopsCompose = `services:
  web:
    image: IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo \"$$GREETING $$API_TOKEN\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
    env_file: .env
    expose:
      - "8080"
    stop_grace_period: 1s
`

func TestSOPSEnvFile(t *testing.T) {
	bed := startBed(t, "bookworm-docker:1+registry")
	dir := t.TempDir()
	if err := bed.WriteInventory(dir); err != nil {
		t.Fatal(err)
	}
	enc, err := os.ReadFile("testdata/sops/app.env.enc")
	if err != nil {
		t.Fatal(err)
	}
	keyFile, err := filepath.Abs("testdata/sops/age-key.txt")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sops.hcl"), sopsHCL)
	if err := os.MkdirAll(filepath.Join(dir, "stacks", "sopsapp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "stacks", "sopsapp", "compose.yaml"), strings.ReplaceAll(sopsCompose, "IMAGE", bed.Registry.Image))
	writeFile(t, filepath.Join(dir, "secrets", "app.env.enc"), string(enc))

	tmp := t.TempDir() // berth's TMPDIR, searched for the plaintext at the end
	var outputs []string
	berth := func(env []string, timeout time.Duration, want int, args ...string) berthResult {
		t.Helper()
		r := runBerthEnv(t, timeout, append([]string{"TMPDIR=" + tmp}, env...), args...)
		outputs = append(outputs, r.Stdout, r.Stderr)
		r.wantCode(t, want)
		return r
	}
	withKey := []string{"SOPS_AGE_KEY_FILE=" + keyFile}

	t.Run("the encrypted env file deploys and the container sees its values", func(t *testing.T) {
		berth(withKey, 5*time.Minute, 0, "apply", dir, "--yes")
		r := readLock(t, dir).Stacks["sopsapp"].Replicas[0]
		if got := httpGet(t, bed.Host(r.Host).Address, r.Ports["http"]); got != "hello from sops "+sopsCanary {
			t.Errorf("the container answers %q", got)
		}
		berth(withKey, 2*time.Minute, 0, "plan", dir)
		if got := hostOut(t, bed.Hosts[0], "stat", "-c", "%a %U", "/srv/berth/sopsapp/.env"); got != "600 root" {
			t.Errorf(".env on the host is %s", got)
		}
	})

	t.Run("without a key, validate fails naming the file", func(t *testing.T) {
		r := berth(nil, time.Minute, 1, "validate", dir)
		if !strings.Contains(r.Stderr, "secrets/app.env.enc") || !strings.Contains(r.Stderr, "no age key can open it") {
			t.Errorf("stderr:\n%s", r.Stderr)
		}
	})

	t.Run("a tampered file fails validate naming the file", func(t *testing.T) {
		tampered := tamper(t, string(enc))
		writeFile(t, filepath.Join(dir, "secrets", "app.env.enc"), tampered)
		defer writeFile(t, filepath.Join(dir, "secrets", "app.env.enc"), string(enc))
		r := berth(withKey, time.Minute, 1, "validate", dir)
		if !strings.Contains(r.Stderr, "secrets/app.env.enc") || !strings.Contains(r.Stderr, "changed after it was encrypted") {
			t.Errorf("stderr:\n%s", r.Stderr)
		}
	})

	t.Run("the plaintext is in no output, temp file, home or inventory file", func(t *testing.T) {
		for i, o := range outputs {
			if strings.Contains(o, sopsCanary) {
				t.Errorf("berth output %d holds the decrypted value: %s", i, excerpt(o, sopsCanary))
			}
		}
		for _, root := range []string{tmp, dir} {
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				if strings.Contains(string(b), sopsCanary) {
					t.Errorf("%s holds the decrypted value", p)
				}
				return nil
			})
		}
	})
}

// tamper changes one character of the API_TOKEN value's ciphertext.
func tamper(t *testing.T, enc string) string {
	t.Helper()
	i := strings.Index(enc, "API_TOKEN=ENC[AES256_GCM,data:")
	if i < 0 {
		t.Fatal("no API_TOKEN in the fixture")
	}
	j := i + len("API_TOKEN=ENC[AES256_GCM,data:")
	c := byte('A')
	if enc[j] == 'A' {
		c = 'B'
	}
	return enc[:j] + string(c) + enc[j+1:]
}
