// Command benchref is the minimal Go reference program of the fleet benchmark: what a
// hand-written x/crypto/ssh program does for the same work, the practical limit on a machine.
// It opens one connection per host, all hosts at once, and runs one step per host:
//
//	-mode check   one command printing the SHA-256 of the K files; compared with the
//	              expected content; exit 2 when a file differs
//	-mode upload  K files written over one SFTP session (create, write, chmod), not atomic
//	-mode true    runs `true`
//
// Host keys are checked against -known-hosts. It never prints a key or content.
package main
