package stack

import (
	"encoding/json"
	"fmt"
	"time"
)

// ManifestName is the manifest's file name under StateRoot/NAME.
const ManifestName = "manifest.json"

// Manifest records what berth deployed on a host: enough to detect drift and to roll back.
// It is written 0600 under a 0700 directory, only after a deploy turned healthy.
type Manifest struct {
	Stack string `json:"stack"`
	// Project is the compose project serving, one of the stack's colours (see Colours);
	// empty in manifests written before colours, meaning the stack's name.
	Project string `json:"project,omitempty"`
	Dir     string `json:"dir"`
	// Hash covers every input, the env included (see contentHash).
	Hash string `json:"hash"`
	// Files maps each file berth wrote (except .env, always present) to its SHA-256.
	Files    map[string]string       `json:"files"`
	Ports    []PublishedPort         `json:"ports,omitempty"`
	Images   map[string]string       `json:"images"` // reference -> image ID
	Services map[string]ServiceState `json:"services"`
	Compose  string                  `json:"compose"` // generation used
	Mode     string                  `json:"images_mode"`
	// DeployedAt is when the deploy turned healthy.
	DeployedAt time.Time `json:"deployed_at"`
	// DeployedBy is the operator: "user@machine" of the berth that deployed it.
	DeployedBy string `json:"deployed_by,omitempty"`
	// Previous is the manifest this one replaced (one level; its own Previous is dropped).
	Previous *Manifest `json:"previous,omitempty"`
}

// ServiceState is what the containers of one service ran right after the deploy.
type ServiceState struct {
	ConfigHash string `json:"config_hash"` // label com.docker.compose.config-hash
	Image      string `json:"image"`       // image ID
}

// parseManifest decodes a manifest read from host; nil data means no manifest.
func parseManifest(host, p string, data []byte) (*Manifest, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read %s on %s: %w", p, host, err)
	}
	return &m, nil
}

// fileNames returns the files a manifest says berth wrote, .env included, sorted.
func (m *Manifest) fileNames() []string {
	names := sortedKeys(m.Files)
	return insertSorted(names, EnvFileName)
}

func insertSorted(names []string, n string) []string {
	for _, x := range names {
		if x == n {
			return names
		}
	}
	out := append([]string{n}, names...)
	sortStrings(out)
	return out
}
