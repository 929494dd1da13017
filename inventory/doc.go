// Package inventory turns a directory of HCL files into a validated model of hosts, host-layer
// resources, stacks, balancers and runbooks.
//
// What it guarantees:
//   - No network I/O. Everything it reads is below the inventory directory (a path or symlink
//     leading out of it is an error), plus the variable files named on the command line.
//   - Every problem is an hcl.Diagnostic with a source range, collected in one run (syntax
//     errors stop the load, as in Terraform; everything else keeps going), and
//     Inventory.Files keeps the parsed sources so any later diagnostic prints with a snippet.
//   - When Load reports no error, every selector is resolved to sorted host names, every
//     per-host block (docker, syslog, file, directory, package, service) is evaluated for each
//     host it selects with that host in scope, and every stack's compose project is loaded
//     with compose-go the way docker compose on the host will load it.
//   - Secrets (env files) are secret.Bytes values that print as "(sensitive)"; values interpolated
//     from them are redacted from the loaded compose projects and from compose errors.
//   - Output is deterministic: hosts, groups, stacks, balancers and runbooks are sorted by
//     name, diagnostics by file and position, and Inventory.Hash covers every input.
//
// The language is documented in docs/inventory.md.
package inventory
