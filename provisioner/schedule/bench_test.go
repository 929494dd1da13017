package schedule

import (
	"fmt"
	"testing"
)

// benchRequest is a fleet of 1000 hosts over 10 zones and 2500 stacks of 2 replicas
// (5000 replicas), each with two automatic ports and one in ten with a fixed one.
func benchRequest() Request {
	var req Request
	var names []string
	for i := range 1000 {
		h := Host{
			Name:      fmt.Sprintf("host-%04d", i),
			Labels:    map[string]string{"zone": fmt.Sprintf("z%d", i%10)},
			Capacity:  Resources{CPUs: 16, Memory: 64 << 30},
			PortRange: PortRange{From: 20000, To: 29999},
			UsedPorts: []int{22, 20000 + i%7},
		}
		req.Hosts = append(req.Hosts, h)
		names = append(names, h.Name)
	}
	for i := range 2500 {
		s := Stack{
			Name:      fmt.Sprintf("stack-%04d", i),
			Replicas:  2,
			Hosts:     names,
			Spread:    "zone",
			Resources: Resources{CPUs: 0.5, Memory: 1 << 30},
			Ports:     []Port{{Name: "http", Container: 8080}, {Name: "metrics", Container: 9090}},
		}
		if i%10 == 0 {
			s.Ports = append(s.Ports, Port{Name: "fixed", Container: 443, Host: 8000 + i%100})
		}
		req.Stacks = append(req.Stacks, s)
	}
	return req
}

func BenchmarkPlace1000Hosts5000Replicas(b *testing.B) {
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := Place(req); len(probs) > 0 {
			b.Fatal(probs[0].Error())
		}
	}
}

func BenchmarkPlaceStickyRerun(b *testing.B) {
	req := benchRequest()
	a, _ := Place(req)
	req.Current = a
	b.ReportAllocs()
	for b.Loop() {
		if a, _ := Place(req); a.Changed() {
			b.Fatal("rerun changed the assignment")
		}
	}
}
