package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/integration/testbed"
)

// AnsibleDir holds ansible.cfg, the inventory and the playbooks for this N and K.
func (f Fleet) AnsibleDir() string {
	return filepath.Join(f.Dir, fmt.Sprintf("ansible-n%d-k%d", f.N, f.K))
}

// Playbooks written by WriteAnsible.
const (
	PlaybookFiles      = "files.yml"       // gather_facts: false
	PlaybookFilesFacts = "files-facts.yml" // gather_facts: true, as users usually run it
)

// WriteAnsible writes Ansible's best honest configuration for the same work: forks >= N,
// pipelining, ControlPersist, explicit interpreter, no fact gathering unless asked.
func (f Fleet) WriteAnsible(keys Keys) error {
	dir := f.AnsibleDir()
	if err := os.MkdirAll(filepath.Join(dir, "cp"), 0o700); err != nil {
		return fmt.Errorf("bench ansible: %w", err)
	}
	files := map[string]string{
		"ansible.cfg":      f.ansibleCfg(keys),
		"hosts.ini":        f.ansibleHosts(keys),
		PlaybookFiles:      f.playbook(false),
		PlaybookFilesFacts: f.playbook(true),
	}
	for name, body := range files {
		if err := testbed.WriteFileAtomic(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (f Fleet) ansibleCfg(keys Keys) string {
	dir := f.AnsibleDir()
	return fmt.Sprintf(`[defaults]
inventory = %s/hosts.ini
forks = %d
gathering = explicit
host_key_checking = True
interpreter_python = /usr/bin/python3
retry_files_enabled = False
local_tmp = %s/tmp
deprecation_warnings = False

[ssh_connection]
pipelining = True
control_path_dir = %s/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=300s -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
`, dir, max(f.N, 5), dir, dir, keys.KnownHosts)
}

func (f Fleet) ansibleHosts(keys Keys) string {
	var b strings.Builder
	b.WriteString("[all]\n")
	for i := 1; i <= f.N; i++ {
		fmt.Fprintf(&b, "%s ansible_host=%s\n", HostName(i), Addr(i))
	}
	fmt.Fprintf(&b, "\n[all:vars]\nansible_user=root\nansible_port=%d\nansible_ssh_private_key_file=%s\n", f.Port, keys.Identity)
	return b.String()
}

func (f Fleet) playbook(facts bool) string {
	return fmt.Sprintf(`- hosts: all
  gather_facts: %t
  vars:
    pad: %q
  tasks:
    - name: managed files
      copy:
        dest: "%s/hosts/{{ inventory_hostname }}/f{{ '%%03d' %% item }}"
        content: "{{ inventory_hostname }} file f{{ '%%03d' %% item }}\n{{ pad }}"
        mode: "0644"
        owner: root
        group: root
      loop: "{{ range(%d) | list }}"
`, facts, Pad, f.Dir, f.K)
}
