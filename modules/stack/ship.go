package stack

import (
	"context"
	"fmt"
	"io"

	"github.com/berth-dev/berth/modules"
)

// shipChanges returns one change per image the host lacks, by image ID, when the stack's
// images are shipped. The plan shows the transfer and its size.
func (r *Resource) shipChanges(o observation) []modules.Change {
	var cs []modules.Change
	for _, ref := range r.images() {
		if !r.shipped(ref) {
			continue
		}
		local, host := r.spec.LocalImages[ref], o.hostImages[ref]
		if local.ID != "" && local.ID == host {
			continue
		}
		c := modules.Change{
			Address: r.Address() + ".image." + ref, Action: modules.Update, Op: OpShip, Observed: shipment(ref),
			Reason: "host lacks image " + ref, Before: short(host),
			After: fmt.Sprintf("%s, %s to transfer", short(local.ID), humanSize(local.Size)),
		}
		if r.built(ref) {
			c.Reason += " (built here)"
		}
		if local.ID == "" {
			c.After = "(not in the local daemon: build or pull it where berth runs)"
		}
		if host == "" {
			c.Before = "(absent)"
		}
		cs = append(cs, c)
	}
	return cs
}

// shipment is what a ship change carries: the image reference to transfer.
type shipment string

// applyShip streams one image from the local daemon (Spec.Save) into the host's.
func (r *Resource) applyShip(ctx context.Context, h modules.Host, ref shipment) error {
	if r.spec.Save == nil {
		return fmt.Errorf("ship image %s to %s: no local image source configured", ref, h.Name())
	}
	rc, err := r.spec.Save(ctx, string(ref))
	if err != nil {
		return fmt.Errorf("ship image %s to %s: docker save: %w", ref, h.Name(), err)
	}
	defer rc.Close()
	return ShipImage(ctx, h, string(ref), rc)
}

// ShipImage loads an image archive (the output of `docker save`) into the host's daemon,
// streaming it through the command's stdin.
func ShipImage(ctx context.Context, h modules.Host, ref string, archive io.Reader) error {
	res, err := h.Run(ctx, modules.Command{Argv: []string{"docker", "load", "--quiet"}, Stdin: archive})
	if err != nil {
		return fmt.Errorf("ship image %s to %s: docker load: %w", ref, h.Name(), err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("ship image %s to %s: docker load: exit %d: %s", ref, h.Name(), res.ExitCode, firstLine(res.Stderr))
	}
	return nil
}

func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
