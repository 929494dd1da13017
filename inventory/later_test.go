package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// laterInv has contents of every kind a content attribute can give.
const laterInv = `variable "greeting" {
  default = "hello"
}
variable "token" {
  default   = "s3cret"
  sensitive = true
}
locals {
  motd = "${var.greeting} from locals"
}
host "a" {
  address = "10.0.0.1"
  vars    = { colour = "blue" }
}
host "b" {
  address = "10.0.0.2"
}
file "/etc/hostname" {
  hosts   = "*"
  content = "${host.name} ${lookup(host.vars, "colour", "none")}\n"
}
file "/etc/motd" {
  hosts   = "*"
  content = <<-EOT
    ${local.motd}
    ${upper(host.name)} ${env("BERTH_TEST_ENV")}
  EOT
}
file "/etc/app.conf" {
  hosts   = "*"
  content = templatefile("app.tpl", { name = host.name })
}
file "/etc/raw" {
  hosts   = "a"
  content = file("raw.txt")
}
file "/etc/plain" {
  hosts   = "*"
  content = "s3cret"
}
file "/etc/token" {
  hosts   = "*"
  content = var.token
}
file "/etc/sourced" {
  hosts  = "*"
  source = "source.txt"
}
`

func writeLaterInv(t *testing.T) string {
	dir := writeInv(t, laterInv)
	os.WriteFile(filepath.Join(dir, "app.tpl"), []byte("name=${name}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "raw.txt"), []byte("raw\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "source.txt"), []byte("source\n"), 0o644)
	return dir
}

// Past the contents a load holds, a content is evaluated again when it is needed, to the
// same bytes; a sensitive content (even one a plain content equals) and a source file are
// held as before.
func TestContentsPastTheBudgetAreEvaluatedAgain(t *testing.T) {
	t.Run("parsed", func(t *testing.T) { testEvaluatedAgain(t) })
	t.Run("pieces", func(t *testing.T) { defer everyPiece()(); testEvaluatedAgain(t) })
}

func testEvaluatedAgain(t *testing.T) {
	dir := writeLaterInv(t)
	env := func(n string) string { return map[string]string{"BERTH_TEST_ENV": "env-value"}[n] }
	want, diags := Load(dir, Options{Getenv: env})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	defer func(h, m int) { holdContents, minLater = h, m }(holdContents, minLater)
	holdContents, minLater = 0, 0
	got, diags := Load(dir, Options{Getenv: env})
	if diags.HasErrors() || got.Hash != want.Hash {
		t.Fatalf("load: %s (hash %s, want %s)", describe(diags), got.Hash, want.Hash)
	}
	// What file and templatefile read, and env, are the load's, not what is there now.
	os.WriteFile(filepath.Join(dir, "app.tpl"), []byte("changed\n"), 0o644)
	os.Remove(filepath.Join(dir, "raw.txt"))
	for _, h := range want.Hosts {
		for i, w := range h.Files {
			g := got.Host(h.Name).Files[i]
			data, err := g.Data()
			if err != nil || string(data) != string(w.Content) || g.SHA256 != w.SHA256 || g.Size() != len(w.Content) {
				t.Errorf("%s %s: %q, %v (size %d), want %q", h.Name, w.Path, data, err, g.Size(), w.Content)
			}
			if held := g.Sensitive || w.Path == "/etc/sourced"; g.Held() != held {
				t.Errorf("%s %s: held %v, want %v", h.Name, w.Path, g.Held(), held)
			}
		}
	}
}

// A content evaluated again that no longer hashes as planned is an error, never written.
func TestAContentThatChangedIsAnError(t *testing.T) {
	defer func(h, m int) { holdContents, minLater = h, m }(holdContents, minLater)
	holdContents, minLater = 0, 0
	inv, diags := Load(writeLaterInv(t), Options{})
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	f := inv.Host("a").Files[0]
	src := f.later.from.files["main.hcl"]
	at := strings.Index(string(src), `${host.name} ${lookup`)
	src[at+len("${host.name}")] = '-' // the sources as the run holds them, edited
	if _, err := f.Data(); err == nil || !strings.Contains(err.Error(), "the inventory changed during the run") {
		t.Errorf("got %v", err)
	}
}
