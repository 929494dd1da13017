# slice-migration: move the directory service's users to a new backend in 8 slices.
# The runbook is resumable: `berth runbook run migrate --from slice-5-migrate` picks up
# where a stopped run left off. Each migrate step has an undo.

defaults {
  ssh {
    user = "deploy"
  }
  port_range = "20000-20999"
}

host "dir-1" {
  address = "10.20.0.11"
  labels  = { role = "directory", zone = "a" }
}

host "dir-2" {
  address = "10.20.0.12"
  labels  = { role = "directory", zone = "b" }
}

host "lb-1" {
  address = "10.20.0.2"
  labels  = { role = "lb" }
}

docker {
  hosts = "*"
}

syslog {
  hosts = "*"
}

stack "directory-next" {
  compose  = "stacks/directory-next"
  env_file = "secrets/directory-next.env"
  replicas = 2
  place {
    hosts  = "role=directory"
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
}

balancer "edge" {
  hosts = "role=lb"
  frontend "directory" {
    bind  = ":80"
    stack = "directory-next"
    port  = "http"
  }
}

# The balancer step talks to HAProxy's admin socket with socat (see docs/runbooks.md).
package "socat" {
  hosts = "role=lb"
  names = ["socat"]
}
