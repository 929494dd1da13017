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
// directory (so .env is read from it on both generations), both files and the active
// profiles (--profile: docker-compose 1.28 and later, and v2).
func (c Compose) project(name, dir string, profiles []string) []string {
	argv := append(c.command(),
		"-p", name,
		"--project-directory", dir,
		"-f", dir+"/"+ComposeFileName,
		"-f", dir+"/"+OverrideFileName,
	)
	for _, p := range profiles {
		argv = append(argv, "--profile", p)
	}
	return argv
}

// pullArgv pulls the stack's images from their registries: every service's, or only those
// named (the others run images berth built and shipped, which no registry has). nil when
// there is nothing to pull.
func (r *Resource) pullArgv() []string {
	argv := append(r.spec.Compose.project(r.projectName(), r.spec.Dir, r.spec.Profiles), "pull")
	if len(r.spec.Built) == 0 {
		return argv
	}
	names, _ := r.services()
	images := r.shape().Images
	n := len(argv)
	for _, svc := range names {
		if !r.built(images[svc]) {
			argv = append(argv, svc)
		}
	}
	if len(argv) == n {
		return nil
	}
	return argv
}

// upArgv recreates every container of the stack; orphans of removed services go too.
func (r *Resource) upArgv() []string {
	return append(r.spec.Compose.project(r.projectName(), r.spec.Dir, r.spec.Profiles), "up", "-d", "--force-recreate", "--remove-orphans")
}

// configArgv asks the host's compose whether it can read the project in dir (see compat.go).
func (r *Resource) configArgv(dir string) []string {
	return append(r.spec.Compose.project(r.spec.Name, dir, r.spec.Profiles), "config", "-q")
}
