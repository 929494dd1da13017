package schedule

import "math/bits"

// hostState is one host as Place fills it: capacity in use and the ports held on it.
type hostState struct {
	host *Host
	idx  int // position in name order

	capCPU, capMem   int64 // 0: unlimited
	usedCPU, usedMem int64
	replicas         int // replicas placed on it so far

	from, to    int // automatic port range; from == 0: none
	holders     map[int]holder
	heldInRange int      // holders with a port within the range
	bits        []uint64 // bit i set: port from+i held; built on first automatic port
}

// holder is who holds a port on a host. stack "" means a process outside berth (facts).
// assigned is false for ports reserved by the current assignment and not yet claimed by a
// replica of this run: only a replica of the same stack may claim them.
type holder struct {
	stack    string
	assigned bool
}

func newHostState(h *Host, idx int, validRange bool) *hostState {
	hs := &hostState{
		host:    h,
		idx:     idx,
		capCPU:  millis(h.Capacity.CPUs),
		capMem:  h.Capacity.Memory,
		holders: make(map[int]holder),
	}
	if validRange {
		hs.from, hs.to = h.PortRange.From, h.PortRange.To
	}
	return hs
}

func (hs *hostState) inRange(p int) bool { return hs.from != 0 && p >= hs.from && p <= hs.to }

// freeInRange is how many ports of the range nobody holds.
func (hs *hostState) freeInRange() int {
	if hs.from == 0 {
		return 0
	}
	return hs.to - hs.from + 1 - hs.heldInRange
}

// usableBy reports whether stack may take port p: nobody holds it, or the current
// assignment reserved it for this very stack and no replica claimed it yet.
func (hs *hostState) usableBy(p int, stack string) bool {
	h, held := hs.holders[p]
	return !held || (h.stack == stack && !h.assigned)
}

// reserve records a port of the current assignment or of the host's facts; the first
// reservation of a port wins.
func (hs *hostState) reserve(p int, stack string) {
	if _, held := hs.holders[p]; held {
		return
	}
	hs.setHolder(p, holder{stack: stack})
}

// claim gives port p to a replica of stack placed by this run.
func (hs *hostState) claim(p int, stack string) {
	hs.setHolder(p, holder{stack: stack, assigned: true})
}

func (hs *hostState) setHolder(p int, h holder) {
	if _, held := hs.holders[p]; !held && hs.inRange(p) {
		hs.heldInRange++
		if hs.bits != nil {
			i := p - hs.from
			hs.bits[i/64] |= 1 << (i % 64)
		}
	}
	hs.holders[p] = h
}

// lowestFree returns the lowest port of the range nobody holds, or 0.
func (hs *hostState) lowestFree() int {
	if hs.freeInRange() <= 0 {
		return 0
	}
	hs.buildBits()
	for w, word := range hs.bits {
		if word != ^uint64(0) {
			return hs.from + w*64 + bits.TrailingZeros64(^word)
		}
	}
	return 0
}

// buildBits makes the port bitmap from the holders; bits past the range are set.
func (hs *hostState) buildBits() {
	if hs.bits != nil {
		return
	}
	n := hs.to - hs.from + 1
	hs.bits = make([]uint64, (n+63)/64)
	for i := n; i < len(hs.bits)*64; i++ {
		hs.bits[i/64] |= 1 << (i % 64)
	}
	for p := range hs.holders {
		if hs.inRange(p) {
			i := p - hs.from
			hs.bits[i/64] |= 1 << (i % 64)
		}
	}
}

// place records that a replica needing cpu and mem now runs here.
func (hs *hostState) place(cpu, mem int64) {
	hs.usedCPU += cpu
	hs.usedMem += mem
	hs.replicas++
}

// load is the larger of the CPU and memory fractions in use once cpu and mem are added;
// unlimited dimensions count as empty.
func (hs *hostState) load(cpu, mem int64) float64 {
	var f float64
	if hs.capCPU > 0 {
		f = float64(hs.usedCPU+cpu) / float64(hs.capCPU)
	}
	if hs.capMem > 0 {
		f = max(f, float64(hs.usedMem+mem)/float64(hs.capMem))
	}
	return f
}
