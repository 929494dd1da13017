// Package docs holds berth's user documentation (README.md at the root and the *.md files of
// this directory) and, in its tests, the contract that keeps it honest:
//
//   - every hcl snippet loads with the inventory loader, or fails with the diagnostic its
//     marker names (snippets_test.go; markers are described in contract_test.go);
//   - docs/inventory.md documents every block type and attribute of the inventory schema,
//     and its snippets use no attribute the schema lacks (schema_test.go);
//   - every command-line flag the documents name exists on the berth command they name it
//     with, read from the help of a freshly built berth binary (flags_test.go).
//
// The tests need no network and no Docker: plain `go test ./docs/`.
package docs
