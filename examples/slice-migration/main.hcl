# slice-migration: directory-legacy (a systemd service on dir-1 and dir-2) becomes the
# container stack directory-next behind the edge balancer, in 8 slices (runbook.hcl).

variable "edge_url" {
  type        = string
  default     = "http://10.20.0.2"
  description = "How this machine reaches the edge balancer, for the runbook's checks."
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

# The comparison slice 3 runs on each directory host (see runbook.hcl).
file "/usr/local/sbin/directory-compare" {
  hosts   = "role=directory"
  content = file("files/directory-compare.sh")
  mode    = "0755"
}
