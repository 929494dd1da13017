package hostlock

import "github.com/berth-dev/berth/modules"

// StatusProbes are the probes that read a lock without touching it, so a caller can fold
// them into a batch it sends anyway (the engine adds them to the facts round trip).
func StatusProbes(dir string) []modules.Probe {
	if dir == "" {
		dir = DefaultDir
	}
	return []modules.Probe{modules.FileProbe(dir), modules.ContentProbe(dir + "/holder.json")}
}

// StatusFrom reads the results of StatusProbes: nil when the host is free.
func StatusFrom(res []modules.ProbeResult) *Holder {
	if len(res) < 2 || !res[0].Exists {
		return nil
	}
	if hd := parseHolder(string(res[1].Data)); hd != nil {
		return hd
	}
	return &Holder{Who: "another berth (details not written yet)"}
}
