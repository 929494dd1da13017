// Package ansible imports an Ansible inventory into a berth inventory.
//
// It does not parse Ansible's formats itself: it runs `ansible-inventory --list --export`,
// so INI, YAML, group_vars/host_vars and dynamic inventory plugins are read by Ansible, the
// same way a playbook run reads them, and this package only converts the JSON Ansible prints.
// That keeps the inventory package free of exec and of Ansible's many formats.
//
// What it guarantees:
//   - The HCL it renders loads with inventory.Load without errors: names are made valid
//     (the Ansible name is kept in a comment when it changes), values that do not fit a berth
//     label are left out and listed in a comment with the group or host they came from.
//   - Variables resolve as Ansible resolves them: groups by depth, then
//     ansible_group_priority, then name, and host variables last.
//   - Secrets are never written: a variable whose name looks secret (password, secret, token,
//     key, ...) or whose value is vault-encrypted becomes a sensitive berth variable with an
//     empty default and a TODO comment; its value appears nowhere in the output.
//   - Output is deterministic: hosts, groups, labels and variables are sorted by name.
package ansible
