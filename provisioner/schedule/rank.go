package schedule

// rank orders the feasible hosts for one replica; lower is better. Hosts are visited in
// name order and only a strictly better rank replaces the best, so ties go to the name.
type rank struct {
	spread   int     // replicas of the stack on hosts with the same spread label value
	load     float64 // larger of CPU and memory fractions once the replica is added
	replicas int     // replicas of any stack on the host
}

func (r rank) less(o rank) bool {
	if r.spread != o.spread {
		return r.spread < o.spread
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
		if !st.selects(hs.idx) || !check(st, hs, nil).ok() {
			continue
		}
		r := rank{spread: st.spreadCount(hs), load: hs.load(st.cpu, st.mem), replicas: hs.replicas}
		if best == nil || r.less(bestRank) {
			best, bestRank = hs, r
		}
	}
	return best
}
