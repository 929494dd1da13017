# The machines. To run the quickstart against other machines (or the test bed), replace this
# file: stacks.hcl only needs three hosts labelled role = "app".

variable "ssh_user" {
  type        = string
  default     = "deploy"
  description = "The account berth logs in as on every host (needs sudo without a password)."
}

defaults {
  ssh {
    user        = var.ssh_user
    known_hosts = "known_hosts"
  }
  port_range = "20000-20999"
}

host "h1" {
  address = "10.77.0.11"
  labels  = { role = "app" }
}

host "h2" {
  address = "10.77.0.12"
  labels  = { role = "app" }
}

host "h3" {
  address = "10.77.0.13"
  labels  = { role = "app" }
}
