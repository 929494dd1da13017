# quickstart: three hosts, Docker from the distribution, two stacks.
# Validate with: berth validate examples/quickstart

variable "ssh_user" {
  type        = string
  default     = "deploy"
  description = "The account berth logs in as on every host."
}

defaults {
  ssh {
    user        = var.ssh_user
    known_hosts = "known_hosts"
  }
  port_range = "20000-20999"
}

host "h1" {
  address = "10.10.0.11"
  labels  = { role = "app", zone = "a" }
}

host "h2" {
  address = "10.10.0.12"
  labels  = { role = "app", zone = "b" }
}

host "h3" {
  address = "10.10.0.13"
  labels  = { role = "app", zone = "a" }
}

docker {
  hosts  = "role=app"
  source = "distro"
}

syslog {
  hosts = "*"
}

# A busybox httpd that answers on container port 8080; the greeting comes from the env file.
stack "hello" {
  compose  = "stacks/hello"
  env_file = "secrets/hello.env"
  replicas = 2
  place {
    hosts  = "role=app"
    spread = "zone"
  }
  port "http" {
    container = 8080
  }
  health {
    timeout = "30s"
  }
}

stack "whoami" {
  compose = "stacks/whoami"
  port "http" {
    container = 8080
  }
}
