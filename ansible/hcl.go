package ansible

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FileName is the file of the inventory directory the import writes.
const FileName = "hosts.hcl"

// HCL renders the import as berth inventory: a header, what was not imported, defaults,
// hosts, groups, then the sensitive variables to fill in. The same Import always renders
// the same bytes.
func (imp *Import) HCL() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported from the Ansible inventory %s by 'berth import ansible'.\n", comment(imp.source()))
	b.WriteString("# Importing again shows what would change and writes nothing, unless --force.\n")
	imp.writeSkipped(&b)
	if !imp.Defaults.empty() {
		b.WriteString("\ndefaults {\n")
		writeSSH(&b, imp.Defaults)
		b.WriteString("}\n")
	}
	for _, h := range imp.Hosts {
		writeHost(&b, h)
	}
	for _, g := range imp.Groups {
		writeGroup(&b, g)
	}
	for _, s := range imp.Secrets {
		writeSecret(&b, s)
	}
	return hclwrite.Format([]byte(b.String()))
}

func (imp *Import) source() string {
	if imp.Source == "" {
		return "(Ansible's default)"
	}
	return imp.Source
}

// writeSkipped lists what has no place in berth, with where it came from. Values are not
// shown: some of them may be secrets under an innocent name.
func (imp *Import) writeSkipped(b *strings.Builder) {
	if len(imp.Skipped) == 0 {
		return
	}
	b.WriteString("#\n# Not imported (values not shown):\n")
	for _, s := range imp.Skipped {
		what := s.Origin
		if s.Name != "" {
			what = s.Name + " of " + s.Origin
		}
		fmt.Fprintf(b, "#   %s: %s\n", comment(what), comment(s.Why))
	}
}

func writeSSH(b *strings.Builder, s SSH) {
	b.WriteString("  ssh {\n")
	if s.User != "" {
		fmt.Fprintf(b, "    user = %s\n", quote(s.User))
	}
	if s.Port != 0 {
		fmt.Fprintf(b, "    port = %d\n", s.Port)
	}
	if s.Identity != "" {
		fmt.Fprintf(b, "    identity = %s\n", quote(s.Identity))
	}
	if s.Jump != "" {
		fmt.Fprintf(b, "    jump = %s\n", quote(s.Jump))
	}
	b.WriteString("  }\n")
}

func writeHost(b *strings.Builder, h Host) {
	b.WriteString("\n")
	if h.AnsibleName != h.Name {
		fmt.Fprintf(b, "# Ansible host %s\n", comment(h.AnsibleName))
	}
	fmt.Fprintf(b, "host %s {\n  address = %s\n", quote(h.Name), quote(h.Address))
	if len(h.Labels) > 0 {
		b.WriteString("  labels = {\n")
		for _, k := range sortedKeys(h.Labels) {
			fmt.Fprintf(b, "    %s = %s\n", key(k), quote(h.Labels[k]))
		}
		b.WriteString("  }\n")
	}
	if !h.SSH.empty() {
		writeSSH(b, h.SSH)
	}
	b.WriteString("}\n")
}

func writeGroup(b *strings.Builder, g GroupBlock) {
	b.WriteString("\n")
	if g.AnsibleName != g.Name {
		fmt.Fprintf(b, "# Ansible group %s\n", comment(g.AnsibleName))
	}
	if len(g.Children) > 0 {
		fmt.Fprintf(b, "# Ansible children: %s (berth groups do not nest: their hosts are members)\n", comment(strings.Join(g.Children, ", ")))
	}
	fmt.Fprintf(b, "group %s {\n  members = [", quote(g.Name))
	for i, m := range g.Members {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(m))
	}
	b.WriteString("]\n}\n")
}

func writeSecret(b *strings.Builder, s Secret) {
	fmt.Fprintf(b, "\n# TODO: not imported: %s of %s (%s).\n", comment(s.Name), comment(s.Origin), comment(s.Why))
	fmt.Fprintf(b, "# berth never writes a secret in clear. Give it a value outside git (-var-file FILE,\n")
	fmt.Fprintf(b, "# or BERTH_VAR_%s) where a file's content needs it, or delete this block.\n", s.Variable)
	fmt.Fprintf(b, "variable %s {\n  type      = string\n  default   = \"\"\n  sensitive = true\n}\n", quote(s.Variable))
}
