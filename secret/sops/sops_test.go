package sops

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// The fixtures in testdata were written by sops 3.13.3 (sops encrypt --age ...), the .want
// files by `sops decrypt` of the same files: this package must open what sops writes and
// print what sops prints. age-key.txt is a throwaway key for these tests.

func testKeys(t *testing.T) *Keys {
	t.Helper()
	k, err := LoadKeys(func(n string) string {
		if n == "SOPS_AGE_KEY_FILE" {
			return "testdata/age-key.txt"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecryptAsSOPSDoes(t *testing.T) {
	for _, tc := range []struct {
		file, want string
		format     Format
	}{
		{"app.env.enc", "app.env.want", Dotenv},
		{"full.env.enc", "full.env.want", Dotenv}, // comment, \n, empty value, _unencrypted, two recipients
		{"doc.json.enc", "doc.json.want", JSON},   // nesting, number, bool, list, null
		{"prod.vars.enc", "prod.vars.want", Binary},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := read(t, tc.file)
			if f := Detect(data); f != tc.format {
				t.Fatalf("Detect = %d, want %d", f, tc.format)
			}
			got, err := Decrypt(data, testKeys(t))
			if err != nil {
				t.Fatal(err)
			}
			if want := string(read(t, tc.want)); string(got) != want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestNotSOPS(t *testing.T) {
	for _, s := range []string{"A=1\n", `{"a": 1}`, "", "sops: 1\n"} {
		if f := Detect([]byte(s)); f != NotSOPS {
			t.Errorf("Detect(%q) = %d", s, f)
		}
	}
}

func TestWrongOrMissingKey(t *testing.T) {
	data := read(t, "other-key.env.enc")
	_, err := Decrypt(data, testKeys(t))
	if !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "age1z2xavsgn4c3dxj90qw5nyf83yw04xrup0s7klvfuqqnslfp5s96qq6889u") ||
		!strings.Contains(err.Error(), "SOPS_AGE_KEY_FILE=testdata/age-key.txt") {
		t.Fatalf("wrong key: %v", err)
	}
	none, err := LoadKeys(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(read(t, "app.env.enc"), none); !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "neither is set") {
		t.Fatalf("no key: %v", err)
	}
}

// Tampering: whatever is changed, the file does not open, and the error says it was changed.
func TestTamperedFilesDoNotOpen(t *testing.T) {
	env := string(read(t, "full.env.enc"))
	lines := strings.Split(env, "\n")
	line := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("no %s line", prefix)
		return ""
	}
	dbURL, multi := line("DB_URL="), line("MULTI=")
	flip := func(s, after string) string {
		i := strings.Index(s, after) + len(after)
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for _, tc := range []struct{ name, content string }{
		{"a ciphertext byte", strings.Replace(env, dbURL, flip(dbURL, "data:"), 1)},
		{"a tag byte", strings.Replace(env, dbURL, flip(dbURL, "tag:"), 1)},
		{"two values swapped", strings.Replace(strings.Replace(env, dbURL, "DB_URL="+strings.TrimPrefix(multi, "MULTI="), 1), multi, "MULTI="+strings.TrimPrefix(dbURL, "DB_URL="), 1)},
		{"a value removed", strings.Replace(env, multi+"\n", "", 1)},
		{"an unencrypted value edited", strings.Replace(env, "PLAIN_unencrypted=visible", "PLAIN_unencrypted=edited", 1)},
		{"a value replaced by its plaintext", strings.Replace(env, dbURL, "DB_URL=postgres://u:p@db/x", 1)},
		{"the MAC edited", strings.Replace(env, line("sops_mac="), flip(line("sops_mac="), "data:"), 1)},
		{"lastmodified edited", strings.Replace(env, line("sops_lastmodified="), "sops_lastmodified=2030-01-01T00:00:00Z", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.content == env {
				t.Fatal("the test changed nothing")
			}
			_, err := Decrypt([]byte(tc.content), testKeys(t))
			if err == nil || !strings.Contains(err.Error(), "changed after it was encrypted") && !strings.Contains(err.Error(), "not encrypted") {
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "postgres://") {
				t.Fatalf("the error shows a value: %v", err)
			}
		})
	}
}

func TestYAMLIsNamed(t *testing.T) {
	y := "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n"
	if Detect([]byte(y)) != YAML {
		t.Fatal("not detected")
	}
	if _, err := Decrypt([]byte(y), testKeys(t)); err == nil || !strings.Contains(err.Error(), "YAML") {
		t.Fatalf("err = %v", err)
	}
}
