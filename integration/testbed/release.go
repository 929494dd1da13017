package testbed

import (
	"fmt"
	"os"
)

// Releases the bed can run, with what each brings (see docs/testbed.md).
const (
	Bookworm = "bookworm" // Debian 12: docker.io 20.10, docker-compose 1.29 (v1)
	Trixie   = "trixie"   // Debian 13: docker.io 26.1, docker-compose 2.26 (v2)
)

// RecipeVersion is stamped on every image as the label berth.testbed.recipe; change it when
// the way images are built changes, and cached images are rebuilt.
const RecipeVersion = "2"

// rootfsPackages are included by debootstrap; changing them changes the rootfs cache name.
const rootfsPackages = "openssh-server,systemd,systemd-sysv,sudo,ca-certificates,iproute2,python3,dbus"

// dockerPackages are preinstalled in the -docker variant.
var dockerPackages = []string{"docker.io", "docker-compose", "rsyslog"}

const mirror = "http://deb.debian.org/debian"

func checkRelease(r string) error {
	if r != Bookworm && r != Trixie {
		return fmt.Errorf("unknown release %q (want %q or %q)", r, Bookworm, Trixie)
	}
	return nil
}

// ImageName is the image of a release, with docker.io, docker-compose and rsyslog
// preinstalled when withDocker is set.
// The repository is berth-testhost unless $BERTH_TESTBED_IMAGE_REPO names another (to build
// apart from the images other users of this Docker engine run, e.g. to measure a cold start).
func ImageName(release string, withDocker bool) string {
	repo := os.Getenv("BERTH_TESTBED_IMAGE_REPO")
	if repo == "" {
		repo = "berth-testhost"
	}
	if withDocker {
		return repo + ":" + release + "-docker"
	}
	return repo + ":" + release
}

// sourcesList is the apt sources of a release on the project's mirror.
func sourcesList(release string) string {
	return fmt.Sprintf("deb %[2]s %[1]s main\ndeb %[2]s %[1]s-updates main\n"+
		"deb http://deb.debian.org/debian-security %[1]s-security main\n", release, mirror)
}
