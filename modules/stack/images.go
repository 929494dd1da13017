package stack

import "github.com/compose-spec/compose-go/v2/types"

// Images returns the image references a compose project runs, sorted and unique: what a
// shipped stack needs from the local daemon.
func Images(p *types.Project) []string { return projectImages(p) }
