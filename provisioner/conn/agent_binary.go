package conn

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// unameArch maps `uname -m` names to Go's GOARCH for the architectures berth ships.
var unameArch = map[string]string{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

// AgentBinary returns a linux berth binary for goarch, or "" when there is none: the small
// berth-agent-linux-GOARCH beside this executable (what `make` builds: berth without the
// operator-only packages such as the vSphere client, so what is uploaded stays small), else
// this executable when it is a static linux/goarch binary, else berth-linux-GOARCH beside
// it, else this executable even if dynamically linked.
func AgentBinary(goarch string) string {
	self, err := os.Executable()
	if err != nil || strings.HasSuffix(self, ".test") {
		return "" // a go test binary is not berth: it cannot serve as the agent
	}
	small := filepath.Join(filepath.Dir(self), "berth-agent-linux-"+goarch)
	if fi, err := os.Stat(small); err == nil && fi.Mode().IsRegular() {
		return small
	}
	own := runtime.GOOS == "linux" && runtime.GOARCH == goarch
	if own && isStatic(self) {
		return self
	}
	sibling := filepath.Join(filepath.Dir(self), "berth-linux-"+goarch)
	if fi, err := os.Stat(sibling); err == nil && fi.Mode().IsRegular() {
		return sibling
	}
	if own {
		return self
	}
	return ""
}

// isStatic reports whether an ELF binary has no program interpreter (no dynamic loader).
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// binaryHash is a binary's SHA-256 and size, computed once per path and process.
type binaryHash struct {
	once sync.Once
	sum  string
	size int64
	err  error
}

var binaryHashes sync.Map // path -> *binaryHash

func hashBinary(path string) (string, int64, error) {
	v, _ := binaryHashes.LoadOrStore(path, &binaryHash{})
	b := v.(*binaryHash)
	b.once.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			b.err = err
			return
		}
		defer f.Close()
		h := sha256.New()
		b.size, b.err = io.Copy(h, f)
		b.sum = hex.EncodeToString(h.Sum(nil))
	})
	return b.sum, b.size, b.err
}
