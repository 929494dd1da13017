package hostlock

import (
	"encoding/json"

	"github.com/berth-dev/berth/modules"
)

// StatusProbes are the probes that read a lock without touching it, so a caller can fold
// them into a batch it sends anyway (the engine adds them to the facts round trip).
func StatusProbes(dir string) []modules.Probe {
	if dir == "" {
		dir = DefaultDir
	}
	return []modules.Probe{modules.FileProbe(dir), modules.ContentProbe(dir + "/holder.json"), modules.ContentProbe(dir + "/" + LostFile)}
}

// StatusFrom reads the results of StatusProbes: nil when the host is free.
func StatusFrom(res []modules.ProbeResult) *Holder {
	if len(res) < 2 || !res[0].Exists {
		return nil
	}
	if hd := parseHolder(string(res[1].Data)); hd != nil {
		if len(res) > 2 {
			hd.Lost = lostText(res[2].Data)
		}
		return hd
	}
	return &Holder{Who: "another berth (details not written yet)"}
}

// LostFile, in the lock directory, is written by the host's agent when the berth holding
// the lock went away mid-run: the host finishes the change in progress, then releases the
// lock itself (see provisioner/agent). Its content is one JSON journal entry.
const LostFile = "lost.json"

func lostText(b []byte) string {
	var e struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	return e.Text
}
