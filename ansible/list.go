package ansible

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ErrNoAnsible is returned by List when ansible-inventory is not on PATH.
var ErrNoAnsible = errors.New("ansible-inventory not found on PATH (install Ansible: apt-get install ansible, or pipx install ansible-core)")

// List runs `ansible-inventory --list --export` on source (anything -i accepts: a file, a
// directory, a plugin configuration, "host1,host2,"; "" for Ansible's configured default)
// and returns its JSON and what it printed on stderr (warnings). --export keeps group
// variables on their groups instead of merging them into every host, so the import can say
// where each value came from.
//
// An inventory source Ansible cannot parse is an error, not an empty inventory: by default
// ansible-inventory only warns and prints an inventory with no host.
func List(ctx context.Context, source string) (out, warnings []byte, err error) {
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		return nil, nil, ErrNoAnsible
	}
	args := []string{"--list", "--export"}
	if source != "" {
		args = append([]string{"-i", source}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(),
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=True",
		"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=True",
		"ANSIBLE_NOCOLOR=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, nil, fmt.Errorf("ansible-inventory -i %s: %s", source, msg)
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}
