package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// probeWorkers bounds how many probes run at once: hashing and read-only commands
// (docker inspect, dpkg-query) overlap, without flooding a small host.
const probeWorkers = 4

// observe runs probes concurrently and returns their results in order. The first error
// (a path that cannot be stat'ed, a content probe over MaxContent) fails the batch, as
// the shell transport does.
func observe(ctx context.Context, probes []Probe) ([]ProbeResult, error) {
	res := make([]ProbeResult, len(probes))
	errs := make([]error, len(probes))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(probeWorkers, len(probes)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i], errs[i] = probe(ctx, probes[i])
			}
		}()
	}
	for i := range probes {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("probe %d: %w", i, err)
		}
	}
	return res, nil
}

func probe(ctx context.Context, p Probe) (ProbeResult, error) {
	switch {
	case p.Path != "" && len(p.Argv) == 0:
		return pathProbe(p.Path, p.Content)
	case p.Path == "" && len(p.Argv) > 0:
		return cmdProbe(ctx, p.Argv)
	}
	return ProbeResult{}, errors.New("a probe needs exactly one of path and argv")
}

// pathProbe follows symlinks like `stat -L`. A path that cannot be read for hashing has
// no SHA256 (like the shell transport), but a content probe of it is an error.
func pathProbe(path string, content bool) (ProbeResult, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return ProbeResult{}, nil
	}
	if err != nil {
		return ProbeResult{}, fmt.Errorf("cannot stat %s: %w", path, err)
	}
	r := ProbeResult{Exists: true, IsDir: fi.IsDir(), Mode: uint32(fi.Mode().Perm()), Size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r.Owner, r.Group = userName(st.Uid), groupName(st.Gid)
	}
	if !fi.Mode().IsRegular() {
		return r, nil
	}
	if content && fi.Size() > MaxContent {
		return r, fmt.Errorf("%s is larger than %d bytes, too large to observe", path, MaxContent)
	}
	sum, data, err := hashFile(path, content)
	if err != nil && content {
		return r, fmt.Errorf("cannot read %s: %w", path, err)
	}
	r.SHA256, r.Data = sum, data
	return r, nil
}

// hashFile returns the file's SHA-256 and, when keep is set, its bytes (at most
// MaxContent: a file that grew past it since the stat is an error).
func hashFile(path string, keep bool) (string, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	h := sha256.New()
	if !keep {
		if _, err := io.Copy(h, f); err != nil {
			return "", nil, err
		}
		return hex.EncodeToString(h.Sum(nil)), nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxContent+1))
	if err != nil {
		return "", nil, err
	}
	if len(data) > MaxContent {
		return "", nil, fmt.Errorf("%s is larger than %d bytes, too large to observe", path, MaxContent)
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), data, nil
}
