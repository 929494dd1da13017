package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// A plan compares hashes and sizes; only the apply of a changed file needs its content. A
// fleet whose hosts each get their own contents (the benchmark's 1000 hosts with 100 files
// of 1 KiB: 100 MB) held them all for the whole run. So once a load holds holdContents bytes
// of distinct contents, a further content is kept as its hash, its size and the way to
// evaluate it again: its block's place in the inventory's sources, which Inventory.Files
// keeps anyway, and its host. Evaluating it again gives the same bytes: the sources are
// those of the load, the variables and locals its values, and file, templatefile and env
// answer what they answered during the load (inputs.replay). Only contents written in a
// content attribute are kept so, never a sensitive one (it stays in memory as loaded, like
// a SOPS file's).

// holdContents is how many bytes of distinct file contents a load holds before it keeps
// further ones for later; minLater the smallest content kept for later (its description
// costs about 100 bytes). Variables for tests.
var holdContents, minLater = 4 << 20, 256

// later is a file content to evaluate again when it is written.
type later struct {
	from  *replay
	file  string  // the file of the block
	start hcl.Pos // the block, from its type to its closing brace
	end   int
	host  string
	size  int
}

// replay is what evaluating a content again needs, shared by every content of a load.
type replay struct {
	files map[string][]byte               // the inventory's files, by name
	ctx   *hcl.EvalContext                // var, local, and functions that replay the load's reads
	hosts map[string]map[string]cty.Value // each host's variables (host)
}

// newReplay is the replay of the loader's evaluations.
func (l *loader) newReplay() *replay {
	in := &inputs{files: l.in.files, env: l.in.env, replay: true}
	r := &replay{files: l.in.files, hosts: map[string]map[string]cty.Value{},
		ctx: &hcl.EvalContext{Variables: l.ctx.Variables, Functions: functions(l.inv.Dir, l.opts.getenv, in)}}
	for name, ctx := range l.hctx {
		r.hosts[name] = ctx.Variables
	}
	return r
}

// hold sets f's content (and SHA256) from data: the one copy the load holds, or, past
// holdContents, for a content that may be evaluated again (mayLater), how to.
func (l *loader) hold(f *File, data []byte, h *Host, b *hcl.Block, mayLater bool) {
	sum := sha256.Sum256(data)
	if l.contents == nil {
		l.contents = map[[32]byte]content{}
	}
	c, ok := l.contents[sum]
	if ok && c.data == nil && !mayLater {
		c.data = data // a sensitive content is held, even when a plain one is the same
		l.held += len(data)
		l.contents[sum] = c
	}
	if !ok {
		c = content{sum: hex.EncodeToString(sum[:])}
		body, isSyntax := b.Body.(*hclsyntax.Body)
		if mayLater && isSyntax && l.held >= holdContents && len(data) >= minLater {
			if l.replay == nil {
				l.replay = l.newReplay()
			}
			c.later = &later{from: l.replay, file: b.TypeRange.Filename, start: b.TypeRange.Start,
				end: body.SrcRange.End.Byte, host: h.Name, size: len(data)}
		} else {
			c.data = data
			l.held += len(data)
		}
		l.contents[sum] = c
	}
	f.Content, f.SHA256 = c.data, c.sum
	if c.data == nil {
		f.later = c.later
	}
}

// produce evaluates the content again and checks that it is the one the load hashed.
func (x *later) produce(path, sum string) ([]byte, error) {
	src := x.from.files[x.file]
	if x.end > len(src) || x.start.Byte > x.end {
		return nil, fmt.Errorf("content of %s: its block is no longer in %s", path, x.file)
	}
	f, diags := hclsyntax.ParseConfig(src[x.start.Byte:x.end], x.file, x.start)
	if diags.HasErrors() || len(f.Body.(*hclsyntax.Body).Blocks) != 1 {
		return nil, fmt.Errorf("content of %s: its block at %s:%d no longer parses", path, x.file, x.start.Line)
	}
	at, ok := f.Body.(*hclsyntax.Body).Blocks[0].Body.Attributes["content"]
	if !ok {
		return nil, fmt.Errorf("content of %s: its block at %s:%d has no content", path, x.file, x.start.Line)
	}
	ctx := x.from.ctx.NewChild()
	ctx.Variables = x.from.hosts[x.host]
	v, diags := at.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, fmt.Errorf("content of %s for %s: %s", path, x.host, diags.Error())
	}
	v, err := convert.Convert(v, cty.String)
	if err != nil || v.IsNull() || !v.IsKnown() || v.IsMarked() {
		return nil, fmt.Errorf("content of %s for %s: not the string it was", path, x.host)
	}
	data := []byte(v.AsString())
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("content of %s for %s: the inventory changed during the run (it no longer hashes to %s)", path, x.host, sum[:12])
	}
	return data, nil
}
