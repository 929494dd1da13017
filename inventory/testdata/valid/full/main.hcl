variable "region" {
  type    = string
  default = "rbx"
}

variable "replicas" {
  type    = number
  default = 1
}

variable "extra_labels" {
  type    = map(string)
  default = {}
}

locals {
  net    = "10.1.0"
  labels = merge({ zone = var.region }, var.extra_labels)
}

defaults {
  ssh {
    user            = "deploy"
    port            = 2222
    known_hosts     = "known_hosts"
    connect_timeout = "5s"
  }
  become     = true
  port_range = "21000-21999"
  stack_root = "/opt/stacks"
}
