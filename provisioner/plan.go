package provisioner

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/berth-dev/berth/modules"
	"github.com/berth-dev/berth/provisioner/schedule"
)

// PlanVersion is the saved-plan format version.
const PlanVersion = 1

// Plan is what apply would change, per host. It is data: it can be printed, saved, loaded
// and compared; it holds no connection and no secret.
type Plan struct {
	Version int `json:"version"`
	// Inventory is the inventory directory the plan was made from (absolute).
	Inventory     string      `json:"inventory"`
	InventoryHash string      `json:"inventory_hash"`
	CreatedAt     time.Time   `json:"created_at"`
	Hosts         []*HostPlan `json:"hosts"`
	// ForceRecreate records --force-recreate, so that applying a saved plan plans the same way.
	ForceRecreate bool `json:"force_recreate,omitempty"`
	// Placement is where every stack replica runs after this plan, with what moved.
	Placement *schedule.Assignment `json:"placement,omitempty"`
	// Rollouts say how each stack whose running replicas are recreated is updated.
	Rollouts []schedule.Rollout `json:"rollouts,omitempty"`
	// Certificates are the frontend certificates of the run's balancers that have expired
	// or expire soon; an expired one is drift even when no file differs.
	Certificates []CertificateFinding `json:"certificates,omitempty"`
}

// Expired counts the expired certificates of the plan.
func (p *Plan) Expired() int {
	n := 0
	for _, f := range p.Certificates {
		if f.Expired {
			n++
		}
	}
	return n
}

// HostPlan is one host's part of a plan.
type HostPlan struct {
	Host    string           `json:"host"`
	Changes []modules.Change `json:"changes"`
	// Resources lists every resource observed on the host, changed or not (for reports
	// such as JUnit, where each resource is a test case).
	Resources []string `json:"resources"`
	// Error is set when the host could not be reached or observed; it has no changes then.
	Error string `json:"error,omitempty"`
	// Hint says what to do about Error, when berth knows (e.g. how to trust a host key).
	Hint string `json:"hint,omitempty"`
	// Busy describes the apply lock holder when a read-only run found the host locked.
	Busy string `json:"busy,omitempty"`
	// Previous is how the host's last run ended when it ended without its berth (connection
	// lost, berth killed): shown until the next apply on the host begins a run.
	Previous string `json:"previous_run,omitempty"`
	// RoundTrips counts requests to the host after the connection was up (for --stats).
	RoundTrips int `json:"round_trips,omitempty"`
}

// Counts summarises a plan.
type Counts struct {
	Add, Change, Replace, Remove      int
	Hosts, HostsChanged, Failed, Busy int
}

// Total is the number of changes.
func (c Counts) Total() int { return c.Add + c.Change + c.Replace + c.Remove }

// Count summarises p.
func (p *Plan) Count() Counts {
	var c Counts
	for _, h := range p.Hosts {
		c.Hosts++
		switch {
		case h.Error != "":
			c.Failed++
		case h.Busy != "":
			c.Busy++
		}
		if len(h.Changes) > 0 {
			c.HostsChanged++
		}
		for _, ch := range h.Changes {
			switch ch.Action {
			case modules.Create:
				c.Add++
			case modules.Update:
				c.Change++
			case modules.Replace:
				c.Replace++
			case modules.Delete:
				c.Remove++
			}
		}
	}
	return c
}

// Host returns the plan of the named host, or nil.
func (p *Plan) Host(name string) *HostPlan {
	for _, h := range p.Hosts {
		if h.Host == name {
			return h
		}
	}
	return nil
}

// Save writes the plan as JSON, atomically, private to the user (plans name hosts and paths).
func (p *Plan) Save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// LoadPlan reads a plan saved by Save.
func LoadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("plan %s has format version %d; this berth reads version %d", path, p.Version, PlanVersion)
	}
	return &p, nil
}

// SameChanges reports whether two plans hold the same changes for the same hosts, which is
// how a saved plan is checked for staleness before it is applied: what was reviewed is what
// runs, or nothing runs.
func SameChanges(a, b *Plan) (bool, string) {
	if a.InventoryHash != b.InventoryHash {
		return false, "the inventory changed since the plan was made"
	}
	for _, ha := range a.Hosts {
		hb := b.Host(ha.Host)
		if hb == nil {
			return false, fmt.Sprintf("host %s is not in the current plan", ha.Host)
		}
		if len(ha.Changes) != len(hb.Changes) {
			return false, fmt.Sprintf("host %s changed since the plan was made (%d changes planned, %d now)", ha.Host, len(ha.Changes), len(hb.Changes))
		}
		for i := range ha.Changes {
			x, y := ha.Changes[i], hb.Changes[i]
			if x.Address != y.Address || x.Action != y.Action || x.Op != y.Op || x.After != y.After || x.Before != y.Before {
				return false, fmt.Sprintf("host %s: %s changed since the plan was made", ha.Host, x.Address)
			}
		}
	}
	for _, hb := range b.Hosts {
		if a.Host(hb.Host) == nil && len(hb.Changes) > 0 {
			return false, fmt.Sprintf("host %s now has changes that the saved plan does not show", hb.Host)
		}
	}
	return true, ""
}
