package inventory

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// fromCommandTimeout bounds a password manager's answer (it may ask for a passphrase).
const fromCommandTimeout = 60 * time.Second

func (l *loader) declareFromCommand(v *variable, c *hcl.BodyContent) {
	at, ok := c.Attributes["from_command"]
	if !ok {
		return
	}
	a := l.attrsIn(c, nil)
	if !a.strList("from_command", &v.fromCommand) {
		return
	}
	v.cmdRange = at.Expr.Range()
	switch {
	case len(v.fromCommand) == 0 || v.fromCommand[0] == "":
		l.diags = append(l.diags, errorf(v.cmdRange, "Invalid from_command", "from_command is a command and its arguments, such as [\"pass\", \"show\", \"registry\"]."))
		v.fromCommand = nil
	case !v.sensitive:
		l.diags = append(l.diags, errorf(v.cmdRange, "from_command needs a sensitive variable",
			"from_command is for secrets (a password manager's answer): declare the variable sensitive = true so its value is never shown."))
		v.fromCommand = nil
	}
}

// varsFromCommands runs, for each variable with from_command that no outside source set
// (BERTH_VAR_, -var-file, -var, which win as they are more specific), its command on this
// machine, without a shell, and takes its standard output less the final newline. The value
// is never shown; a failing command is an error naming the variable, with the command's
// exit status only (its stderr could echo the secret).
func (l *loader) varsFromCommands(decl map[string]*variable, declared map[string]hcl.Range) {
	for _, name := range sortedKeys(decl) {
		v := decl[name]
		if v.fromCommand == nil || v.valueRange != declared[name] {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), fromCommandTimeout)
		cmd := exec.CommandContext(ctx, v.fromCommand[0], v.fromCommand[1:]...)
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		cancel()
		if err != nil {
			why := err.Error()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				why = ee.ProcessState.String()
			}
			l.diags = append(l.diags, errorf(v.cmdRange, "from_command failed",
				"The command giving variable %q (%s) failed: %s.", name, v.fromCommand[0], why))
			continue
		}
		val := strings.TrimSuffix(strings.TrimSuffix(out.String(), "\n"), "\r")
		v.value, v.valueRange = cty.StringVal(val), v.cmdRange
	}
}
