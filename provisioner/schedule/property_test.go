package schedule

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

const propertyCases = 500

// randomFleet builds a small fleet and stacks tight enough that capacity and ports run out
// in some cases.
func randomRequest(rng *rand.Rand) Request {
	var req Request
	zones := []string{"a", "b", "c", ""}
	for i := range 1 + rng.Intn(12) {
		req.Hosts = append(req.Hosts, randomHost(rng, fmt.Sprintf("h%02d", i), zones))
	}
	rng.Shuffle(len(req.Hosts), func(i, j int) { req.Hosts[i], req.Hosts[j] = req.Hosts[j], req.Hosts[i] })
	for i := range rng.Intn(10) {
		req.Stacks = append(req.Stacks, randomStack(rng, fmt.Sprintf("s%02d", i), req.Hosts))
	}
	return req
}

func randomHost(rng *rand.Rand, name string, zones []string) Host {
	h := Host{
		Name:      name,
		Labels:    map[string]string{"zone": zones[rng.Intn(len(zones))]},
		Capacity:  Resources{CPUs: float64(rng.Intn(9)) / 2, Memory: int64(rng.Intn(9)) * GiB / 2},
		PortRange: PortRange{From: 20000, To: 20000 + rng.Intn(12)},
		Drain:     rng.Intn(10) == 0,
	}
	for range rng.Intn(4) {
		h.UsedPorts = append(h.UsedPorts, 19998+rng.Intn(16))
	}
	return h
}

func randomStack(rng *rand.Rand, name string, hosts []Host) Stack {
	s := Stack{
		Name:      name,
		Replicas:  rng.Intn(4),
		Resources: Resources{CPUs: float64(rng.Intn(4)) / 4, Memory: int64(rng.Intn(4)) * GiB / 4},
	}
	if rng.Intn(2) == 0 {
		s.Spread = "zone"
	}
	for _, h := range hosts {
		if rng.Intn(4) != 0 {
			s.Hosts = append(s.Hosts, h.Name)
		}
	}
	for i := range rng.Intn(3) {
		p := Port{Name: fmt.Sprintf("p%d", i), Container: 80 + i}
		if rng.Intn(4) == 0 {
			p.Host = 8000 + rng.Intn(3)
		}
		s.Ports = append(s.Ports, p)
	}
	if len(s.Ports) == 2 && s.Ports[0].Host != 0 && s.Ports[0].Host == s.Ports[1].Host {
		s.Ports[1].Host = 0
	}
	return s
}

// checkInvariants verifies the safety guarantees of a placement.
func checkInvariants(t *testing.T, req Request, a Assignment, probs []Problem) {
	t.Helper()
	hosts := map[string]Host{}
	for _, h := range req.Hosts {
		hosts[h.Name] = h
	}
	type hp struct {
		host string
		port int
	}
	portOwner := map[hp]string{}
	cpu, mem := map[string]int64{}, map[string]int64{}
	for _, s := range req.Stacks {
		sp := a.Stack(s.Name)
		seenHost := map[string]bool{}
		placed := map[int]bool{}
		for _, r := range sp.Replicas {
			h := hosts[r.Host]
			where := fmt.Sprintf("stack %s replica %d on %s", s.Name, r.Index, r.Host)
			if seenHost[r.Host] {
				t.Errorf("%s: a second replica of the stack on that host", where)
			}
			seenHost[r.Host], placed[r.Index] = true, true
			if !contains(s.Hosts, r.Host) || h.Drain {
				t.Errorf("%s: host not selected or drained", where)
			}
			cpu[r.Host] += millis(s.Resources.CPUs)
			mem[r.Host] += s.Resources.Memory
			if len(r.Ports) != len(s.Ports) {
				t.Errorf("%s: ports %v for %d declared", where, r.Ports, len(s.Ports))
			}
			for _, p := range s.Ports {
				got := r.Ports[p.Name]
				if o, taken := portOwner[hp{r.Host, got}]; taken {
					t.Errorf("%s: port %d also given to %s", where, got, o)
				}
				portOwner[hp{r.Host, got}] = where
				if p.Host != 0 && got != p.Host {
					t.Errorf("%s: port %s = %d, fixed to %d", where, p.Name, got, p.Host)
				}
				if p.Host == 0 && (got < h.PortRange.From || got > h.PortRange.To) {
					t.Errorf("%s: port %s = %d outside the range", where, p.Name, got)
				}
				if contains(h.UsedPorts, got) && !heldBefore(req.Current, s.Name, r.Host, got) {
					t.Errorf("%s: port %s = %d is in use on the host", where, p.Name, got)
				}
			}
		}
		for i := range s.Replicas {
			if !placed[i] && !hasProblem(probs, s.Name, i) {
				t.Errorf("stack %s replica %d neither placed nor explained", s.Name, i)
			}
		}
	}
	for name, h := range hosts {
		if c := millis(h.Capacity.CPUs); c > 0 && cpu[name] > c {
			t.Errorf("%s: %d mCPU placed, capacity %d", name, cpu[name], c)
		}
		if h.Capacity.Memory > 0 && mem[name] > h.Capacity.Memory {
			t.Errorf("%s: %d bytes placed, capacity %d", name, mem[name], h.Capacity.Memory)
		}
	}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func heldBefore(cur Assignment, stack, host string, port int) bool {
	if s := cur.Stack(stack); s != nil {
		for _, r := range s.Replicas {
			if r.Host == host && contains(sortedPorts(r.Ports), port) {
				return true
			}
		}
	}
	return false
}

func hasProblem(probs []Problem, stack string, index int) bool {
	for _, p := range probs {
		if p.Stack == stack && p.Replica == index {
			return true
		}
	}
	return false
}

// rerun places req again with a as the current assignment, read back through the lock
// file, and with the ports a publishes reported in use by the hosts (as facts would).
func rerun(req Request, a Assignment) Request {
	lf, err := ParsePlacementFile("lock", must(NewPlacementFile(a).Marshal()))
	if err != nil {
		panic(err)
	}
	req.Current = lf.Assignment()
	req.Hosts = append([]Host(nil), req.Hosts...)
	for i, h := range req.Hosts {
		used := append([]int(nil), h.UsedPorts...)
		for _, s := range a.Stacks {
			for _, r := range s.Replicas {
				if r.Host == h.Name {
					used = append(used, sortedPorts(r.Ports)...)
				}
			}
		}
		req.Hosts[i].UsedPorts = used
	}
	return req
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// unmoved reports replicas of before that after does not keep on the same host with the
// same ports, except those on the hosts in except.
func unmoved(t *testing.T, before, after Assignment, except string) {
	t.Helper()
	for _, s := range before.Stacks {
		for _, r := range s.Replicas {
			if r.Host == except {
				continue
			}
			got := findReplica(after, s.Name, r.Index)
			if got == nil || got.Host != r.Host || !reflect.DeepEqual(got.Ports, r.Ports) || got.Status != Kept || got.Reason != "" {
				t.Errorf("stack %s replica %d was on %s %v, now %+v", s.Name, r.Index, r.Host, r.Ports, got)
			}
		}
	}
}

func findReplica(a Assignment, stack string, index int) *Replica {
	if s := a.Stack(stack); s != nil {
		for i := range s.Replicas {
			if s.Replicas[i].Index == index {
				return &s.Replicas[i]
			}
		}
	}
	return nil
}

func forEachCase(t *testing.T, f func(t *testing.T, rng *rand.Rand, req Request)) {
	for seed := range int64(propertyCases) {
		rng := rand.New(rand.NewSource(seed))
		req := randomRequest(rng)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { f(t, rng, req) })
	}
}

func TestPropertySafety(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ *rand.Rand, req Request) {
		a, probs := Place(req)
		checkInvariants(t, req, a, probs)
	})
}

func TestPropertyDeterministic(t *testing.T) {
	forEachCase(t, func(t *testing.T, rng *rand.Rand, req Request) {
		a1, p1 := Place(req)
		shuffled := req
		shuffled.Hosts = append([]Host(nil), req.Hosts...)
		shuffled.Stacks = append([]Stack(nil), req.Stacks...)
		rng.Shuffle(len(shuffled.Hosts), func(i, j int) { shuffled.Hosts[i], shuffled.Hosts[j] = shuffled.Hosts[j], shuffled.Hosts[i] })
		rng.Shuffle(len(shuffled.Stacks), func(i, j int) { shuffled.Stacks[i], shuffled.Stacks[j] = shuffled.Stacks[j], shuffled.Stacks[i] })
		a2, p2 := Place(shuffled)
		if !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(p1, p2) || Table(a1) != Table(a2) {
			t.Errorf("same request in another order, another result:\n%s\n%s", Table(a1), Table(a2))
		}
	})
}

func TestPropertyRerunChangesNothing(t *testing.T) {
	forEachCase(t, func(t *testing.T, _ *rand.Rand, req Request) {
		a1, _ := Place(req)
		req2 := rerun(req, a1)
		a2, probs := Place(req2)
		checkInvariants(t, req2, a2, probs)
		unmoved(t, a1, a2, "")
		if !bytes.Equal(must(NewPlacementFile(a1).Marshal()), must(NewPlacementFile(a2).Marshal())) {
			t.Errorf("lock file changed on a no-op run")
		}
	})
}

func TestPropertyAddHostMovesNothing(t *testing.T) {
	forEachCase(t, func(t *testing.T, rng *rand.Rand, req Request) {
		a1, _ := Place(req)
		req2 := rerun(req, a1)
		extra := randomHost(rng, "h99", []string{"a", "b", "z"})
		extra.Drain = false
		req2.Hosts = append(req2.Hosts, extra)
		req2.Stacks = append([]Stack(nil), req2.Stacks...)
		for i := range req2.Stacks {
			req2.Stacks[i].Hosts = append(append([]string(nil), req2.Stacks[i].Hosts...), extra.Name)
		}
		a2, probs := Place(req2)
		checkInvariants(t, req2, a2, probs)
		unmoved(t, a1, a2, "")
	})
}

func TestPropertyAddStackMovesNothingElse(t *testing.T) {
	forEachCase(t, func(t *testing.T, rng *rand.Rand, req Request) {
		a1, _ := Place(req)
		req2 := rerun(req, a1)
		req2.Stacks = append(append([]Stack(nil), req2.Stacks...), randomStack(rng, "s-new", req2.Hosts))
		a2, probs := Place(req2)
		checkInvariants(t, req2, a2, probs)
		unmoved(t, a1, a2, "")
	})
}

func TestPropertyDrainMovesOnlyItsReplicas(t *testing.T) {
	forEachCase(t, func(t *testing.T, rng *rand.Rand, req Request) {
		a1, _ := Place(req)
		req2 := rerun(req, a1)
		i := rng.Intn(len(req2.Hosts))
		req2.Hosts[i].Drain = true
		drained := req2.Hosts[i].Name
		a2, probs := Place(req2)
		checkInvariants(t, req2, a2, probs)
		unmoved(t, a1, a2, drained)
		for _, s := range a1.Stacks {
			for _, r := range s.Replicas {
				if r.Host != drained {
					continue
				}
				got := findReplica(a2, s.Name, r.Index)
				if got == nil && !hasProblem(probs, s.Name, r.Index) || got != nil && (got.Status != Moved || got.From != drained) {
					t.Errorf("stack %s replica %d on the drained host: now %+v", s.Name, r.Index, got)
				}
			}
		}
	})
}
