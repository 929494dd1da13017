package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// PlacementFileName is the lock file's name, beside the inventory.
const PlacementFileName = "berth.lock.json"

// LockVersion is the format version Write produces and Read accepts.
const LockVersion = 1

// PlacementFile is the placement lock, berth.lock.json: every replica's host and ports, meant
// to be committed and reviewed like a dependency lock. It holds nothing secret and nothing
// volatile (no time, no digest), so a run that changes nothing rewrites it byte for byte.
type PlacementFile struct {
	Version int                  `json:"version"`
	Stacks  map[string]LockStack `json:"stacks"`
}

// LockStack is the placement of one stack in the lock file.
type LockStack struct {
	Replicas []LockReplica `json:"replicas,omitempty"`
	// Swarm is a Swarm stack's nodes and host ports (SwarmPlacement): its automatic ports stay
	// the same from run to run, and they stay held while the stack is removed.
	Swarm *LockSwarm `json:"swarm,omitempty"`
}

// LockSwarm is a Swarm stack in the lock file.
type LockSwarm struct {
	Hosts []string       `json:"hosts"`
	Ports map[string]int `json:"ports,omitempty"`
}

// LockReplica is one replica in the lock file.
type LockReplica struct {
	Index int            `json:"index"`
	Host  string         `json:"host"`
	Ports map[string]int `json:"ports,omitempty"`
	// Standby are the ports a start-first stack's next version starts on (Replica.Standby).
	Standby map[string]int `json:"standby,omitempty"`
}

// NewPlacementFile records the placements of a (stacks without replicas and removed replicas
// are left out).
func NewPlacementFile(a Assignment) PlacementFile {
	lf := PlacementFile{Version: LockVersion, Stacks: map[string]LockStack{}}
	for _, s := range a.Stacks {
		if len(s.Replicas) == 0 && s.Swarm == nil {
			continue
		}
		var ls LockStack
		if s.Swarm != nil {
			ls.Swarm = &LockSwarm{Hosts: append([]string(nil), s.Swarm.Hosts...), Ports: copyPorts(s.Swarm.Ports)}
		}
		for _, r := range s.Replicas {
			ls.Replicas = append(ls.Replicas, LockReplica{Index: r.Index, Host: r.Host, Ports: copyPorts(r.Ports), Standby: copyPorts(r.Standby)})
		}
		sort.Slice(ls.Replicas, func(i, j int) bool { return ls.Replicas[i].Index < ls.Replicas[j].Index })
		lf.Stacks[s.Name] = ls
	}
	return lf
}

// Assignment turns the lock file into a current assignment for Place; every replica is
// Kept.
func (lf PlacementFile) Assignment() Assignment {
	var a Assignment
	for name, ls := range lf.Stacks {
		sp := StackPlacement{Name: name}
		if ls.Swarm != nil {
			sp.Swarm = &SwarmPlacement{Hosts: append([]string(nil), ls.Swarm.Hosts...), Ports: copyPorts(ls.Swarm.Ports), Status: Kept}
		}
		for _, r := range ls.Replicas {
			sp.Replicas = append(sp.Replicas, Replica{Index: r.Index, Host: r.Host, Ports: copyPorts(r.Ports), Standby: copyPorts(r.Standby), Status: Kept})
		}
		a.Stacks = append(a.Stacks, sp)
	}
	sortAssignment(&a)
	return a
}

func copyPorts(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Marshal renders the lock file: keys sorted, indented by two spaces, a final newline.
func (lf PlacementFile) Marshal() ([]byte, error) {
	out := PlacementFile{Version: lf.Version, Stacks: make(map[string]LockStack, len(lf.Stacks))}
	for name, ls := range lf.Stacks {
		rs := append([]LockReplica(nil), ls.Replicas...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
		out.Stacks[name] = LockStack{Replicas: rs, Swarm: ls.Swarm}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParsePlacementFile decodes and checks a lock file; name is used in errors.
func ParsePlacementFile(name string, data []byte) (PlacementFile, error) {
	var lf PlacementFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lf); err != nil {
		return PlacementFile{}, fmt.Errorf("%s: %w", jsonPos(name, data, err), err)
	}
	if lf.Version != LockVersion {
		return PlacementFile{}, fmt.Errorf("%s: version %d is not supported (this berth reads version %d)", name, lf.Version, LockVersion)
	}
	if err := lf.check(); err != nil {
		return PlacementFile{}, fmt.Errorf("%s: %w", name, err)
	}
	return lf, nil
}

// check rejects what Place could not take as a current assignment.
func (lf PlacementFile) check() error {
	for name, ls := range lf.Stacks {
		if sw := ls.Swarm; sw != nil {
			for pn, p := range sw.Ports {
				if p < 1 || p > 65535 {
					return fmt.Errorf("stack %q (Swarm): port %q is %d, not within 1-65535", name, pn, p)
				}
			}
		}
		seen := map[int]bool{}
		for _, r := range ls.Replicas {
			switch {
			case r.Index < 0 || seen[r.Index]:
				return fmt.Errorf("stack %q: replica index %d is negative or repeated", name, r.Index)
			case r.Host == "":
				return fmt.Errorf("stack %q replica %d: no host", name, r.Index)
			}
			seen[r.Index] = true
			for pn, p := range r.Ports {
				if p < 1 || p > 65535 {
					return fmt.Errorf("stack %q replica %d: port %q is %d, not within 1-65535", name, r.Index, pn, p)
				}
			}
			for pn, p := range r.Standby {
				if p < 1 || p > 65535 || p == r.Ports[pn] {
					return fmt.Errorf("stack %q replica %d: standby port %q is %d, not within 1-65535 or the same as its port", name, r.Index, pn, p)
				}
			}
		}
	}
	return nil
}

// jsonPos names the line of a decoding error when the error carries an offset (an unknown
// field does not; its message names the field).
func jsonPos(name string, data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) {
		off = se.Offset
	} else if errors.As(err, &te) {
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return name
	}
	return fmt.Sprintf("%s:%d", name, 1+bytes.Count(data[:off], []byte("\n")))
}

// ReadPlacementFile reads the lock file at path. A missing file is reported with an error wrapping
// fs.ErrNotExist: the caller decides whether that means a first run.
func ReadPlacementFile(path string) (PlacementFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return PlacementFile{}, fmt.Errorf("read lock file: %w", err)
	}
	return ParsePlacementFile(path, data)
}

// WritePlacementFile writes lf to path atomically: a temporary file in the same directory, synced,
// then renamed over path. Readers see the old file or the new one, never a part.
func WritePlacementFile(path string, lf PlacementFile) error {
	data, err := lf.Marshal()
	if err != nil {
		return fmt.Errorf("encode lock file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write lock file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := writeSync(tmp, data); err != nil {
		return fmt.Errorf("write lock file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write lock file %s: %w", path, err)
	}
	return nil
}

func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
