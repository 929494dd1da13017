package inventory

import (
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// inputs records what functions read (files, environment variables) so that Inventory.Hash
// covers them. It is shared by every evaluation of one load.
type inputs struct {
	mu    sync.Mutex
	files map[string][]byte
	env   map[string]string
	// replay makes file, templatefile and env answer what they answered during the load,
	// from files and env, instead of reading anew (see later.go).
	replay bool
}

func (in *inputs) addFile(name string, b []byte) {
	if in.replay {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.files[name] = b
}

func (in *inputs) addEnv(name, v string) {
	if in.replay {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.env[name] = v
}

// readFile reads a file of the inventory directory for a function, or what it read during
// the load when replaying.
func (in *inputs) readFile(root, p string) ([]byte, error) {
	if in.replay {
		if b, ok := in.files[p]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("read %s: not read when the inventory was loaded", p)
	}
	_, b, err := readWithin(root, p)
	return b, err
}

// getenv reads an environment variable for env, or what it read during the load when
// replaying.
func (in *inputs) getenv(getenv func(string) string, name string) string {
	if in.replay {
		return in.env[name]
	}
	return getenv(name)
}

// functions is the function table of the inventory language: the cty standard library under
// Terraform's names, plus file, templatefile and env.
func functions(root string, getenv func(string) string, in *inputs) map[string]function.Function {
	fns := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc,
		"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc, "strlen": stdlib.StrlenFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"index": stdlib.IndexFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	}
	for name, f := range extraFunctions() {
		fns[name] = f
	}
	fns["file"] = fileFunc(root, in)
	fns["env"] = envFunc(getenv, in)
	fns["templatefile"] = templateFileFunc(root, in, fns)
	return fns
}

// FunctionNames lists the functions available in the inventory language, for documentation.
func FunctionNames() []string {
	names := sortedKeys(functions("", func(string) string { return "" }, nil))
	sort.Strings(names)
	return names
}

func fileFunc(root string, in *inputs) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := in.readFile(root, p)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			in.addFile(p, b)
			return cty.StringVal(string(b)), nil
		},
	})
}

func envFunc(getenv func(string) string, in *inputs) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "name", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			n := args[0].AsString()
			v := in.getenv(getenv, n)
			in.addEnv(n, v)
			return cty.StringVal(v), nil
		},
	})
}

// templateFileFunc renders a template file with the given variables; the template sees the
// same functions except templatefile itself (no recursion).
func templateFileFunc(root string, in *inputs, fns map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := in.readFile(root, p)
			if err != nil {
				return cty.NilVal, function.NewArgError(0, err)
			}
			in.addFile(p, b)
			return renderTemplate(p, b, args[1], fns)
		},
	})
}

func renderTemplate(name string, b []byte, vars cty.Value, fns map[string]function.Function) (cty.Value, error) {
	expr, diags := hclsyntax.ParseTemplate(b, name, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	if diags.HasErrors() {
		return cty.NilVal, function.NewArgError(0, diags)
	}
	if !vars.Type().IsObjectType() && !vars.Type().IsMapType() {
		return cty.NilVal, function.NewArgErrorf(1, "template variables must be an object or a map")
	}
	sub := map[string]function.Function{}
	for k, f := range fns {
		if k != "templatefile" {
			sub[k] = f
		}
	}
	ctx := &hcl.EvalContext{Variables: vars.AsValueMap(), Functions: sub}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, function.NewArgError(0, diags)
	}
	return v, nil
}
