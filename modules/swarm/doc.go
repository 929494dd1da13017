// Package swarm forms a Docker Swarm from inventory hosts and deploys stacks on it with
// `docker stack deploy`.
//
// Four resources share one Cluster (what the first manager, the leader, knows that the other
// hosts need: the join tokens):
//
//   - Node, on every swarm host: the leader inits the swarm (deploy phase), the others join
//     it (swarm-join phase) as workers or managers.
//   - Nodes, on the leader: each node's labels equal its host's labels (plus one label per
//     Swarm stack the host may run, which the stack's placement constraint names) and its
//     availability follows the host's drain (swarm-deploy phase).
//   - Stack, on the leader: the stack file rendered from the compose project (see Render),
//     deployed and waited for until every service converged.
//   - Status, on the leader, last: nodes that are down, which apply cannot repair.
//
// Guarantees: join tokens are secrets: observed from the leader or read after its init,
// kept in memory, sent to the joining host's Docker API on stdin, never in an argument,
// a message or a plan. `.env` values reach `docker stack deploy` as its environment, on
// stdin, and never appear in the stack file.
package swarm
