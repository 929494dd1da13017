package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// hash computes Inventory.Hash: SHA-256 over every input that shapes a plan, in a fixed
// order, each framed with its name and length so that no two input sets collide by
// concatenation.
func (l *loader) hash() string {
	h := sha256.New()
	for _, name := range sortedKeys(l.in.files) {
		frame(h, "file", name, l.in.files[name])
	}
	for _, name := range sortedKeys(l.in.env) {
		frame(h, "env", name, []byte(l.in.env[name]))
	}
	for _, name := range sortedKeys(l.vars) {
		v := l.vars[name]
		if v.IsWhollyKnown() {
			b, _ := ctyjson.Marshal(v, cty.DynamicPseudoType)
			frame(h, "var", name, b)
		}
	}
	for _, s := range l.inv.Stacks {
		frame(h, "compose", s.Name, s.ComposeFile)
		for _, f := range sortedFileNames(s.ConfigFiles) {
			frame(h, "stackfile", s.Name+"/"+f, s.ConfigFiles[f])
		}
		frame(h, "env_file", s.Name, s.Env)
		if s.Project != nil {
			p := *s.Project
			p.WorkingDir, p.ComposeFiles = "", nil // the checkout's location is not an input
			b, _ := json.Marshal(&p)
			frame(h, "project", s.Name, b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func frame(h hash.Hash, kind, name string, b []byte) {
	fmt.Fprintf(h, "%s %q %d\n", kind, name, len(b))
	h.Write(b)
}
