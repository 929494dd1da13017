package schedule

// stackState is one valid stack as Place fills it.
type stackState struct {
	spec     *Stack
	cpu, mem int64
	selected []uint64 // bit idx set: the selector chose host idx

	// spread[host idx] is the id of the host's value of the spread label; counts[id] is how
	// many replicas of this stack run on hosts with that value. Both nil without Spread.
	spread []int32
	counts []int

	hosts    []int // idx of the hosts running a replica, to keep replicas on distinct hosts
	replicas []Replica
	removed  []Replica
	moves    map[int]move // replicas of the current assignment that must leave their host
}

// move is a current replica that cannot stay where it is.
type move struct {
	from   string
	reason string
	ports  map[string]int // its ports there, preferred on the new host
}

func (st *stackState) selects(idx int) bool { return st.selected[idx/64]&(1<<(idx%64)) != 0 }

func (st *stackState) runsOn(idx int) bool {
	for _, h := range st.hosts {
		if h == idx {
			return true
		}
	}
	return false
}

func (st *stackState) hasIndex(i int) bool {
	for _, r := range st.replicas {
		if r.Index == i {
			return true
		}
	}
	return false
}

// isFixed reports whether p is one of the stack's fixed host ports.
func (st *stackState) isFixed(p int) bool {
	for _, pt := range st.spec.Ports {
		if pt.Host == p {
			return true
		}
	}
	return false
}

// spreadCount is how many replicas of the stack share hs's spread label value.
func (st *stackState) spreadCount(hs *hostState) int {
	if st.counts == nil {
		return 0
	}
	return st.counts[st.spread[hs.idx]]
}

// preferredPorts are the ports a new replica tries first: those of the stack's first
// placed replica, so that replicas of a stack tend to share port numbers.
func (st *stackState) preferredPorts() map[string]int {
	if len(st.replicas) == 0 {
		return nil
	}
	return st.replicas[0].Ports
}
