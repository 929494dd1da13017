package inventory

import (
	"io/fs"
	"strconv"

	"github.com/hashicorp/hcl/v2"
)

// file decodes a file block for one host: content (inline) or source (a file of the
// inventory directory), exactly one of them.
func (l *loader) file(h *Host, b *hcl.Block, a attrs) {
	f := &File{Path: b.Labels[0], Mode: 0o644, Owner: "root", Group: "root", DeclRange: b.DefRange}
	if !l.checkPathLabel(b, "file") {
		return
	}
	for _, prev := range h.Files {
		if prev.Path == f.Path {
			l.diags = append(l.diags, errorf(b.DefRange, "Duplicate file",
				"Host %q already gets %s from the file block at %s.", h.Name, f.Path, prev.DeclRange.String()))
			return
		}
	}
	var content, source string
	var encrypted bool // source is a SOPS file: its content is never shown
	a.secretOK["content"] = true
	hasContent, hasSource := a.str("content", &content), a.str("source", &source)
	switch {
	case a.has("content") && a.has("source"):
		l.diags = append(l.diags, errorf(b.DefRange, "Conflicting file content", "A file block takes content or source, not both."))
	case hasContent:
		f.Content = []byte(content)
	case hasSource:
		_, data, err := readWithin(l.inv.Dir, source)
		if err != nil {
			a.fail("source", "Cannot read file source", "%s.", err)
		}
		l.in.addFile(source, data)
		plain, enc, err := l.openSecret(source, data)
		if err != nil {
			a.fail("source", "Cannot decrypt file source", "%s.", err)
		}
		f.Content, encrypted = plain, enc
	case !a.has("content") && !a.has("source"):
		l.diags = append(l.diags, errorf(b.DefRange, "Missing file content", "A file block needs content or source."))
	}
	l.ownership(a, &f.Mode, &f.Owner, &f.Group)
	a.boolean("sensitive", &f.Sensitive)
	f.Sensitive = f.Sensitive || a.secret["content"] || encrypted // content from a sensitive variable is never shown
	l.hold(f, f.Content, h, b, hasContent && !f.Sensitive)
	h.Files = append(h.Files, f)
}

func (l *loader) directory(h *Host, b *hcl.Block, a attrs) {
	d := &Directory{Path: b.Labels[0], Mode: 0o755, Owner: "root", Group: "root", DeclRange: b.DefRange}
	if !l.checkPathLabel(b, "directory") {
		return
	}
	for _, prev := range h.Directories {
		if prev.Path == d.Path {
			l.diags = append(l.diags, errorf(b.DefRange, "Duplicate directory",
				"Host %q already gets %s from the directory block at %s.", h.Name, d.Path, prev.DeclRange.String()))
			return
		}
	}
	l.ownership(a, &d.Mode, &d.Owner, &d.Group)
	h.Directories = append(h.Directories, d)
}

// checkPathLabel checks (once per block, not once per host) that a label is an absolute path.
func (l *loader) checkPathLabel(b *hcl.Block, what string) bool {
	if absPath(b.Labels[0]) {
		return true
	}
	if !l.reported(b) {
		l.diags = append(l.diags, errorf(b.LabelRanges[0], "Invalid "+what+" path",
			"%s is not an absolute path without control characters or '..'.", quoteSafe(b.Labels[0])))
	}
	return false
}

// reported remembers blocks already reported, so a block selecting many hosts reports once.
func (l *loader) reported(b *hcl.Block) bool {
	for _, d := range l.diags {
		if d.Subject != nil && d.Subject.Filename == b.LabelRanges[0].Filename && d.Subject.Start == b.LabelRanges[0].Start {
			return true
		}
	}
	return false
}

func (l *loader) ownership(a attrs, mode *fs.FileMode, owner, group *string) {
	var m string
	if a.str("mode", &m) {
		n, err := strconv.ParseUint(m, 8, 32)
		if err != nil || n > 0o7777 {
			a.fail("mode", "Invalid mode", "mode must be an octal string such as \"0644\", not %s.", quoteSafe(m))
		} else {
			*mode = fs.FileMode(n)
		}
	}
	if a.str("owner", owner) && !sshUserRule.MatchString(*owner) {
		a.fail("owner", "Invalid owner", "%s is not a valid user name.", quoteSafe(*owner))
	}
	if a.str("group", group) && !sshUserRule.MatchString(*group) {
		a.fail("group", "Invalid group", "%s is not a valid group name.", quoteSafe(*group))
	}
}

// packageNameRule is a Debian package name (optionally with =version).
var packageNameRule = nameRuleOf(`^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$`)

func (l *loader) pkg(h *Host, b *hcl.Block, a attrs) {
	p := &Package{State: "present", DeclRange: b.DefRange}
	if a.strList("names", &p.Names) {
		for _, n := range p.Names {
			if !packageNameRule.MatchString(n) {
				a.fail("names", "Invalid package name", "%s is not a Debian package name.", quoteSafe(n))
			}
		}
	}
	a.oneOf("state", &p.State, "present", "absent")
	h.Packages = append(h.Packages, p)
}

func (l *loader) service(h *Host, b *hcl.Block, a attrs) {
	s := &Service{Name: b.Labels[0], State: "running", DeclRange: b.DefRange}
	if !serviceNameRule.MatchString(s.Name) {
		if !l.reported(b) {
			l.diags = append(l.diags, errorf(b.LabelRanges[0], "Invalid service name", "%s is not a systemd unit name.", quoteSafe(s.Name)))
		}
		return
	}
	var enabled bool
	if a.boolean("enabled", &enabled) {
		s.Enabled = &enabled
	}
	a.oneOf("state", &s.State, "running", "stopped", "")
	a.strList("restart_on", &s.Restart)
	a.boolean("reload", &s.Reload)
	h.Services = append(h.Services, s)
}

var serviceNameRule = nameRuleOf(`^[A-Za-z0-9][A-Za-z0-9_.@:-]*$`)

// content is a file content the inventory holds, with its hex SHA-256, or how to evaluate
// it again (see hold).
type content struct {
	data  []byte
	sum   string
	later *later
}
