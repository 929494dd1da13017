# vm-with-containers: the platform of the brief on three VMs.
#   app-1, app-2: auth, directory and document-exchange (docex) services
#   edge-1:       two HAProxy instances from different images, side by side on different ports
# Every container logs to syslog with a tag; rsyslog writes one file per tag.

variable "environment" {
  type    = string
  default = "staging"
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "docex_replicas" {
  type    = number
  default = 2
}

locals {
  domain = "${var.environment}.example.net"
}

defaults {
  ssh {
    user        = "deploy"
    known_hosts = "known_hosts"
  }
  port_range = "20000-20999"
  stack_root = "/srv/berth"
}
