package testbed

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ensureRegistryImage builds berth-testbed-registry: Debian's docker-registry binary (from
// the .deb, apt-get download) with the shared libraries ldd names, FROM scratch.
func ensureRegistryImage(ctx context.Context, log io.Writer) (string, error) {
	name := "berth-testbed-registry:" + RecipeVersion
	if _, err := docker(ctx, "image", "inspect", name); err == nil {
		return name, nil
	}
	unlock, err := lockFile(ctx, "registry.lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := docker(ctx, "image", "inspect", name); err == nil {
		return name, nil
	}
	logf(log, "testbed: building %s from Debian's docker-registry package", name)
	bin, err := registryBinary(ctx)
	if err != nil {
		return "", err
	}
	root, err := os.MkdirTemp(CacheDir(), "registry-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(root)
	if err := copyWithLibs(ctx, bin, "/usr/bin/docker-registry", root); err != nil {
		return "", err
	}
	if err := importDir(ctx, root, name, fmt.Sprintf("LABEL %s=%s", recipeLabel, RecipeVersion)); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	return name, nil
}

// registryBinary downloads and unpacks the docker-registry .deb once into the cache dir.
func registryBinary(ctx context.Context) (string, error) {
	dir, err := cachePath("docker-registry")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "x/usr/bin/docker-registry")
	if exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := "cd '" + dir + "' && apt-get download docker-registry && dpkg -x docker-registry_*.deb x"
	if _, err := run(ctx, nil, "sh", "-c", cmd); err != nil {
		return "", fmt.Errorf("get Debian's docker-registry: %w", err)
	}
	return bin, nil
}

var lddPath = regexp.MustCompile(`(?m)(/\S+) \(0x`)

// copyWithLibs copies a binary to dst inside root, with the libraries it is linked against.
func copyWithLibs(ctx context.Context, bin, dst, root string) error {
	files := map[string]string{bin: dst}
	if out, err := run(ctx, nil, "ldd", bin); err == nil { // a static binary makes ldd fail
		for _, m := range lddPath.FindAllStringSubmatch(out, -1) {
			files[m[1]] = m[1]
		}
	}
	for src, d := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		p := filepath.Join(root, d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
	}
	return os.MkdirAll(filepath.Join(root, "tmp"), 0o1777)
}
