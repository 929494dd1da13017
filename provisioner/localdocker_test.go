package provisioner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/inventory"
	"github.com/berth-dev/berth/secret"
)

// A build arg's value (it may come from the env file) reaches docker through its environment,
// never its command line, and a failed build's output is masked. A stand-in docker on PATH
// records what it was given and fails, printing the value.
func TestBuildArgsStayOffTheCommandLine(t *testing.T) {
	bin, rec := t.TempDir(), t.TempDir()
	script := "#!/bin/sh\necho \"$@\" > " + rec + "/argv\necho \"$TOKEN\" > " + rec + "/env\necho \"step 3: using $TOKEN\"\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	const value = "s3cret-build-arg-value"
	s := &inventory.Stack{Name: "web", ComposeDir: t.TempDir()}
	b := inventory.Build{Service: "web", Context: ".", Dockerfile: "Dockerfile", Tag: "berth/web-web:abc", Args: map[string]string{"TOKEN": value}}
	var m secret.Masker
	m.Add(value)
	err := buildImage(context.Background(), s, b, &m)
	argv, _ := os.ReadFile(filepath.Join(rec, "argv"))
	env, _ := os.ReadFile(filepath.Join(rec, "env"))
	if strings.Contains(string(argv), value) || !strings.Contains(string(argv), "--build-arg TOKEN ") {
		t.Errorf("docker's command line: %s", argv)
	}
	if strings.TrimSpace(string(env)) != value {
		t.Errorf("docker's environment has TOKEN=%q", env)
	}
	if err == nil || strings.Contains(err.Error(), value) || !strings.Contains(err.Error(), "step 3: using (sensitive)") {
		t.Errorf("err = %v", err)
	}
}
