package schedule

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestPropertySpreadByCountWhenResourcesUnknown: on equal hosts with room to spare, where only
// some stacks declare resources, the replicas still spread evenly: the hosts' replica counts
// differ by at most one plus the number of replicas that declare resources (those go to the
// least loaded host, which may already hold more replicas). Before, one stack with a memory
// limit sent every stack without resources to the other hosts (4 / 18 / 17).
func TestPropertySpreadByCountWhenResourcesUnknown(t *testing.T) {
	for seed := int64(0); seed < propertyCases; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var req Request
		nh := 2 + rng.Intn(5)
		for i := range nh {
			req.Hosts = append(req.Hosts, Host{Name: fmt.Sprintf("h%d", i), Capacity: Resources{CPUs: 64, Memory: 256 * GiB}, PortRange: PortRange{From: 20000, To: 20999}})
		}
		withRes := 0
		for i := range 5 + rng.Intn(40) {
			s := Stack{Name: fmt.Sprintf("s%02d", i), Replicas: 1 + rng.Intn(2)}
			for _, h := range req.Hosts {
				s.Hosts = append(s.Hosts, h.Name)
			}
			if rng.Intn(8) == 0 {
				s.Resources = Resources{Memory: GiB / 2}
				withRes += s.Replicas
			}
			req.Stacks = append(req.Stacks, s)
		}
		a, probs := Place(req)
		if len(probs) > 0 {
			t.Fatalf("seed %d: %v", seed, probs[0].Error())
		}
		checkInvariants(t, req, a, probs)
		count := map[string]int{}
		for _, s := range a.Stacks {
			for _, r := range s.Replicas {
				count[r.Host]++
			}
		}
		lo, hi := 1<<30, 0
		for _, h := range req.Hosts {
			lo, hi = min(lo, count[h.Name]), max(hi, count[h.Name])
		}
		if hi-lo > 1+withRes {
			t.Fatalf("seed %d: replicas per host %v differ by %d, more than 1 + %d with resources", seed, count, hi-lo, withRes)
		}
	}
}

// TestPropertyCapacityStillRespectedInMixedFleets: stacks with and without resources on hosts
// of small, known capacity: no host is given more than it has (checkInvariants), and a stack
// with resources never lands on a host it does not fit.
func TestPropertyCapacityStillRespectedInMixedFleets(t *testing.T) {
	for seed := int64(0); seed < propertyCases; seed++ {
		rng := rand.New(rand.NewSource(seed))
		req := randomRequest(rng)
		for i := range req.Stacks {
			if rng.Intn(2) == 0 {
				req.Stacks[i].Resources = Resources{}
			}
		}
		a, probs := Place(req)
		checkInvariants(t, req, a, probs)
	}
}
