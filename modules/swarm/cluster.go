package swarm

import (
	"sync"

	"github.com/berth-dev/berth/secret"
)

// Cluster is what the hosts of one swarm share during a run: the leader's address and the
// join tokens, filled by the leader's Node (its observation, or its init) and read by the
// other hosts' joins, which run in a later phase. One Cluster serves one plan and its apply.
type Cluster struct {
	// Leader and LeaderAddress name the first manager.
	Leader, LeaderAddress string

	mu              sync.Mutex
	worker, manager secret.Bytes
}

// NewCluster returns the shared state of a swarm whose first manager is leader at address.
func NewCluster(leader, address string) *Cluster {
	return &Cluster{Leader: leader, LeaderAddress: address}
}

func (c *Cluster) setTokens(worker, manager secret.Bytes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.worker, c.manager = worker, manager
}

// token returns the join token for a manager or a worker; empty when unknown.
func (c *Cluster) token(manager bool) secret.Bytes {
	c.mu.Lock()
	defer c.mu.Unlock()
	if manager {
		return c.manager
	}
	return c.worker
}
