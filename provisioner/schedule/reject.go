package schedule

import "fmt"

// reject says why a replica cannot run on a host. It is a value so that the hot path of
// Place never formats a string; text renders it only for a Problem or a move's reason.
type reject struct {
	kind   rejectKind
	port   int
	holder string
	need   int64
	free   int64
}

type rejectKind uint8

const (
	fits rejectKind = iota
	rejGone
	rejNotSelected
	rejDrained
	rejSameStack
	rejCPU
	rejMemory
	rejPortTaken
	rejNoRange
	rejNoFreePort
)

func (r reject) ok() bool { return r.kind == fits }

// text renders the reason without the host name.
func (r reject) text() string {
	switch r.kind {
	case rejGone:
		return "not in the inventory"
	case rejNotSelected:
		return notSelected
	case rejDrained:
		return "drained"
	case rejSameStack:
		return "already runs a replica of this stack"
	case rejCPU:
		return fmt.Sprintf("needs %s CPUs, %s free", humanCPUs(r.need), humanCPUs(r.free))
	case rejMemory:
		need, free := humanBytes(r.need), humanBytes(r.free)
		if need == free { // rounding hid the difference
			need, free = fmt.Sprintf("%d bytes", r.need), fmt.Sprintf("%d bytes", r.free)
		}
		return fmt.Sprintf("needs %s memory, %s free", need, free)
	case rejPortTaken:
		if r.holder == "" {
			return fmt.Sprintf("port %d in use on the host", r.port)
		}
		return fmt.Sprintf("port %d taken by stack %s", r.port, r.holder)
	case rejNoRange:
		return "no port range for automatic ports"
	case rejNoFreePort:
		return fmt.Sprintf("needs %d free ports in its range, %d free", r.need, r.free)
	}
	return "fits"
}
