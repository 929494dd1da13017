// Package docker manages the Docker host layer: the engine's packages (Debian's docker.io and
// docker-compose, or Docker's own apt repository), /etc/docker/daemon.json, and the docker
// service. daemon.json is validated before use where dockerd can, written atomically, and the
// daemon restarted only when the file changed; if the daemon does not come back, the previous
// file is restored and the daemon restarted on it.
package docker
