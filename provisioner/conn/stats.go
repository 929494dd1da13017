package conn

import (
	"sync/atomic"
	"time"
)

// Stats counts what a connection cost, for --stats and the round-trip budget of facts.
type Stats struct {
	Connect    time.Duration // dial, handshake and authentication, jump hops included
	RoundTrips int64         // sessions opened: one per Run, Observe or WriteFile
	BytesOut   int64         // stdin sent
}

type counter struct {
	Stats
}

func (c *counter) trip(stdinBytes int64) {
	atomic.AddInt64(&c.RoundTrips, 1)
	atomic.AddInt64(&c.BytesOut, stdinBytes)
}

func (c *counter) snapshot() Stats {
	return Stats{Connect: c.Connect, RoundTrips: atomic.LoadInt64(&c.RoundTrips), BytesOut: atomic.LoadInt64(&c.BytesOut)}
}
