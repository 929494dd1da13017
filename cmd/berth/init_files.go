package main

import (
	"fmt"
	"strings"
)

// scaffoldFiles is what berth init writes, by slash-separated path in the directory. It is
// a small inventory that validates as it is and shows the main blocks: hosts, the host
// layer, and a stack with its compose directory.
func scaffoldFiles(hosts []scaffoldHost) map[string]string {
	var h strings.Builder
	h.WriteString(`# The machines berth manages (docs/inventory.md#host). berth reaches each address
# through your ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump) and needs sudo
# without a password there (docs/ssh.md). Pin each host's key first: berth hosts trust NAME.
`)
	for _, host := range hosts {
		fmt.Fprintf(&h, "\nhost %q {\n  address = %q\n  labels  = { role = \"app\" }\n}\n", host.name, host.address)
	}
	return map[string]string{
		"hosts.hcl":                  h.String(),
		"layer.hcl":                  scaffoldLayer,
		"stacks.hcl":                 scaffoldStacks,
		"stacks/web/compose.yaml":    scaffoldCompose,
		"stacks/web/html/index.html": scaffoldIndex,
		".gitignore":                 scaffoldGitignore,
	}
}

const scaffoldLayer = `# The host layer on every host: Docker from the distribution, and container logs through
# syslog, one file per container in /var/log/containers (docs/inventory.md#docker).
docker {
  hosts  = "*"
  source = "distro"
}

syslog {
  hosts = "*"
}
`

const scaffoldStacks = `# An example stack: nginx serving stacks/web/html on one app host, on a host port berth
# picks and records in berth.lock.json (docs/stacks.md, docs/placement.md). Replace it with
# your own compose directories; secrets go in an env_file under secrets/, kept out of git.
stack "web" {
  compose = "stacks/web"
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 80
  }
  health {
    timeout = "60s"
  }
}
`

const scaffoldCompose = `services:
  web:
    image: nginx:1.27-alpine
    restart: unless-stopped
    volumes:
      - ./html:/usr/share/nginx/html:ro
    expose:
      - "80"
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
      interval: 5s
      timeout: 3s
      retries: 6
    deploy:
      resources:
        limits:
          cpus: "0.50"
          memory: 128M
`

const scaffoldIndex = `<!doctype html>
<title>berth</title>
<p>Deployed by berth.</p>
`

const scaffoldGitignore = `# Secrets: env files and variable files stay out of git (docs/security.md).
secrets/
*.vars
# Runbook journals (docs/runbooks.md#the-journal): a record on the machine that ran them.
.berth/
`
