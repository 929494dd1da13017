package inventory

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// SchemaBlock is one block type of the inventory language as the loader accepts it.
type SchemaBlock struct {
	Attributes []string // attribute names, sorted
	Blocks     []string // nested block types, sorted; each has its own entry in Schema
	Open       bool     // any attribute name is allowed (locals)
}

// schemaPaths maps a block path (block types from the root, joined by dots) to the schema its
// body is decoded with. It mirrors how load.go and runbook.go nest the schemas.
var schemaPaths = map[string]*hcl.BodySchema{
	"variable":            variableSchema,
	"variable.validation": validationSchema,
	"locals":              nil,
	"defaults":            defaultsSchema,
	"defaults.ssh":        sshSchema,
	"host":                hostSchema,
	"host.ssh":            sshSchema,
	"group":               groupSchema,
	"docker":              dockerSchema,
	"syslog":              syslogSchema,
	"stack":               stackSchema,
	"stack.place":         placeSchema,
	"stack.port":          portSchema,
	"stack.health":        healthSchema,
	"stack.resources":     resourcesSchema,
	"stack.update":        updateSchema,
	"balancer":            balancerSchema,
	"balancer.frontend":   frontendSchema,
	"file":                fileSchema,
	"directory":           directorySchema,
	"package":             packageSchema,
	"service":             serviceSchema,
	"registry":            registrySchema,
	"source":              vsphereSchema, // the only kind of source so far
	"source.ssh":          sshSchema,
	"swarm":               swarmSchema,
	"runbook":             runbookSchema,
	"runbook.step":        stepSchemaWithUndo,
	"runbook.step.undo":   stepSchema,
}

// Schema returns every block type of the inventory language by block path ("stack",
// "stack.port", "runbook.step.undo"), with the attributes and nested blocks the loader
// accepts there; the root's block types are the paths without a dot. It is read by the
// documentation's contract test (docs/), which checks that docs/inventory.md covers all of it.
// Attribute and block names only: which values are valid is the loader's business.
func Schema() map[string]SchemaBlock {
	out := map[string]SchemaBlock{}
	for path, s := range schemaPaths {
		if s == nil {
			out[path] = SchemaBlock{Open: true}
			continue
		}
		var b SchemaBlock
		for _, a := range s.Attributes {
			b.Attributes = append(b.Attributes, a.Name)
		}
		for _, nb := range s.Blocks {
			b.Blocks = append(b.Blocks, nb.Type)
		}
		sort.Strings(b.Attributes)
		sort.Strings(b.Blocks)
		out[path] = b
	}
	return out
}

// RootBlocks returns the block types allowed at the top level of an inventory file, sorted.
func RootBlocks() []string {
	var out []string
	for _, b := range rootSchema.Blocks {
		out = append(out, b.Type)
	}
	sort.Strings(out)
	return out
}
