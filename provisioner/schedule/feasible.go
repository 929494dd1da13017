package schedule

// check says whether a replica of st may run on hs now. cur and standby are the ports and
// standby ports the replica already holds on hs (nil unless it is a current replica staying
// there). check changes nothing.
func check(st *stackState, hs *hostState, cur, standby map[string]int) reject {
	switch {
	case hs.host.Drain:
		return reject{kind: rejDrained}
	case st.runsOn(hs.idx):
		return reject{kind: rejSameStack}
	case hs.capCPU > 0 && hs.usedCPU+st.cpu > hs.capCPU:
		return reject{kind: rejCPU, need: st.cpu, free: max(0, hs.capCPU-hs.usedCPU)}
	case hs.capMem > 0 && hs.usedMem+st.mem > hs.capMem:
		return reject{kind: rejMemory, need: st.mem, free: max(0, hs.capMem-hs.usedMem)}
	}
	return checkPorts(st, hs, cur, standby)
}

// checkPorts checks the fixed ports are free for the stack and enough of the range is
// left for the automatic ports that cannot keep their current number (and their standby
// ports, for a start-first stack).
func checkPorts(st *stackState, hs *hostState, cur, standby map[string]int) reject {
	name := st.spec.Name
	auto, fromRange := 0, 0
	for _, pt := range st.spec.Ports {
		if pt.Host != 0 {
			if !hs.usableBy(pt.Host, name) {
				return reject{kind: rejPortTaken, port: pt.Host, holder: hs.holders[pt.Host].stack}
			}
			if _, held := hs.holders[pt.Host]; !held && hs.inRange(pt.Host) {
				fromRange++
			}
			continue
		}
		if q, ok := cur[pt.Name]; !ok || !keepable(st, hs, q) {
			auto++
		}
		if q, ok := standby[pt.Name]; st.spec.Standby && (!ok || !keepable(st, hs, q)) {
			auto++
		}
	}
	if auto == 0 {
		return reject{}
	}
	if hs.from == 0 {
		return reject{kind: rejNoRange}
	}
	if free := hs.freeInRange(); auto+fromRange > free {
		return reject{kind: rejNoFreePort, need: int64(auto + fromRange), free: int64(free)}
	}
	return reject{}
}

// keepable reports whether an automatic port may keep number q on hs.
func keepable(st *stackState, hs *hostState, q int) bool {
	return hs.inRange(q) && hs.usableBy(q, st.spec.Name) && !st.isFixed(q)
}
