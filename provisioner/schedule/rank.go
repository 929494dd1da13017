package schedule

// rank orders the feasible hosts for one replica; lower is better. Hosts are visited in
// name order and only a strictly better rank replaces the best, so ties go to the name.
//
// A stack that declares resources goes to the least loaded host, then the one with fewest
// replicas. A stack that declares none adds no load: ranking it by load would send every such
// stack away from the hosts that run one with resources (4 / 18 / 17 on three equal hosts);
// it goes to the host with the fewest replicas, then the least loaded. Capacity is respected
// either way: check refuses a host before rank sees it.
type rank struct {
	spread   int     // replicas of the stack on hosts with the same spread label value
	load     float64 // larger of CPU and memory fractions once the replica is added
	replicas int     // replicas of any stack on the host
	byCount  bool    // the stack declares no resources: replicas before load
}

func (r rank) less(o rank) bool {
	if r.spread != o.spread {
		return r.spread < o.spread
	}
	if r.byCount && r.replicas != o.replicas {
		return r.replicas < o.replicas
	}
	if r.load != o.load {
		return r.load < o.load
	}
	return r.replicas < o.replicas
}

// pick returns the best feasible host for a new replica of st, or nil.
func pick(st *stackState, hosts []*hostState) *hostState {
	var best *hostState
	var bestRank rank
	for _, hs := range hosts {
		if !st.selects(hs.idx) || !check(st, hs, nil, nil).ok() {
			continue
		}
		r := rank{spread: st.spreadCount(hs), load: hs.load(st.cpu, st.mem), replicas: hs.replicas, byCount: st.cpu == 0 && st.mem == 0}
		if best == nil || r.less(bestRank) {
			best, bestRank = hs, r
		}
	}
	return best
}
