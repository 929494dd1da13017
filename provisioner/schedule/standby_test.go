package schedule

import "testing"

// TestPlaceStandbyPorts checks the standby ports of start-first stacks: one per automatic
// port, never a port another stack or the host holds, kept from the current placement,
// and swapped ports (after a switch) kept as they are rather than renumbered.
func TestPlaceStandbyPorts(t *testing.T) {
	h := host("h1", "a")
	h.UsedPorts = []int{20001}
	web := stack("web", 1, "h1")
	web.Standby = true
	api := stack("api", 1, "h1")
	req := Request{Hosts: []Host{h}, Stacks: []Stack{web, api}}
	a := mustPlace(t, req)
	w, p := a.Stack("web").Replicas[0], a.Stack("api").Replicas[0]
	t.Logf("web %v standby %v, api %v", w.Ports, w.Standby, p.Ports)
	if p.Standby != nil {
		t.Errorf("api holds standby ports without asking: %v", p.Standby)
	}
	seen := map[int]string{20001: "the host"}
	for what, port := range map[string]int{"web": w.Ports["http"], "web standby": w.Standby["http"], "api": p.Ports["http"]} {
		if port == 0 || seen[port] != "" {
			t.Errorf("%s got port %d, held by %q", what, port, seen[port])
		}
		seen[port] = what
	}

	// After a switch the lock file has the ports swapped: both are kept as they are.
	req.Current = NewPlacementFile(a.StartBeside(Rollout{Stack: "web", Strategy: StartFirst,
		Switches: []PortSwitch{{Index: 0, Host: "h1", Port: "http", From: w.Ports["http"], To: w.Standby["http"]}}})).Assignment()
	again := mustPlace(t, req)
	w2 := again.Stack("web").Replicas[0]
	if w2.Ports["http"] != w.Standby["http"] || w2.Standby["http"] != w.Ports["http"] || w2.Reason != "" {
		t.Errorf("after the switch: %+v, want ports %v standby %v kept", w2, w.Standby, w.Ports)
	}
	if again.Changed() {
		t.Errorf("a placement that keeps everything reports a change: %+v", again)
	}

	// A stack that stops being start-first gives its standby port back, and says so.
	web.Standby = false
	req.Stacks = []Stack{web, api}
	w3 := mustPlace(t, req).Stack("web").Replicas[0]
	if w3.Standby != nil || w3.Reason != "standby port http: removed" {
		t.Errorf("standby not released: %+v", w3)
	}
}

// TestPlaceStandbyNeedsTwoPorts: a range with one free port cannot hold a start-first replica.
func TestPlaceStandbyNeedsTwoPorts(t *testing.T) {
	h := host("h1", "a")
	h.PortRange = PortRange{From: 20000, To: 20000}
	web := stack("web", 1, "h1")
	web.Standby = true
	if _, probs := Place(Request{Hosts: []Host{h}, Stacks: []Stack{web}}); len(probs) == 0 {
		t.Errorf("a start-first replica was placed with one free port")
	}
}
