package stack

import "fmt"

// Compose generations. Every difference between them that berth relies on lives in this file.
//
//	                   v1 (docker-compose 1.29, Python)   v2 (docker compose 2.x, Go)
//	invocation         docker-compose                     docker compose (or docker-compose 2.x)
//	container names    PROJECT_svc_1                      PROJECT-svc-1
//	up --wait          absent                             present (berth does not use it)
//	ps --format json   absent                             present (berth uses docker inspect)
//	pull, local image  fails, whatever the flags          skips with a warning
//
// berth uses one code path for both: labels (com.docker.compose.project/service) to find
// containers, `docker inspect` to read them, its own polling to wait for health, and no
// `compose pull` at all for shipped images.
const (
	V1 = "v1"
	V2 = "v2"
)

// Compose is how a host runs compose, as facts found it.
type Compose struct {
	// Generation is V1 or V2.
	Generation string
	// Argv is the command that runs compose on the host, such as ["docker", "compose"] or
	// ["docker-compose"] (Debian packages compose v2 as docker-compose too). Empty picks the
	// generation's usual command.
	Argv []string
}

// command returns the argv prefix that runs compose.
func (c Compose) command() []string {
	if len(c.Argv) > 0 {
		return append([]string(nil), c.Argv...)
	}
	if c.Generation == V1 {
		return []string{"docker-compose"}
	}
	return []string{"docker", "compose"}
}

// ContainerName is the name compose gives to replica n of service svc in project.
func (c Compose) ContainerName(project, svc string, n int) string {
	if c.Generation == V1 {
		return fmt.Sprintf("%s_%s_%d", project, svc, n)
	}
	return fmt.Sprintf("%s-%s-%d", project, svc, n)
}

// PullsLocalImages reports whether `compose pull` tolerates images that exist only in the
// local daemon. v1 fails on them, so shipped stacks never run pull on any generation.
func (c Compose) PullsLocalImages() bool { return c.Generation != V1 }

// project returns the argv prefix for one compose project: pinned name, explicit project
// directory (so .env is read from it on both generations) and both files.
func (c Compose) project(name, dir string) []string {
	return append(c.command(),
		"-p", name,
		"--project-directory", dir,
		"-f", dir+"/"+ComposeFileName,
		"-f", dir+"/"+OverrideFileName,
	)
}

// pullArgv pulls the stack's images.
func (c Compose) pullArgv(name, dir string) []string {
	return append(c.project(name, dir), "pull")
}

// upArgv recreates every container of the stack; orphans of removed services go too.
func (c Compose) upArgv(name, dir string) []string {
	return append(c.project(name, dir), "up", "-d", "--force-recreate", "--remove-orphans")
}
