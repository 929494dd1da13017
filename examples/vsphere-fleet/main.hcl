# App VMs come from vCenter; the edge host is written by hand. `berth validate` checks this
# offline; `berth hosts list` shows what vCenter gives (set BERTH_VAR_vcenter_password).

# From BERTH_VAR_vcenter_password (or a -var-file, or from_command with a password
# manager); validate needs none.
variable "vcenter_password" {
  type      = string
  sensitive = true
  default   = ""
}

defaults {
  ssh {
    user = "deploy"
  }
}

source "vsphere" "prod" {
  url              = "https://vcenter.example.net"
  username         = "berth-ro@vsphere.local"
  password         = var.vcenter_password
  ca_cert          = file("certs/vcenter-ca.pem")
  datacenter       = "DC1"
  folders          = ["prod"]
  tags             = ["berth/managed"]
  network          = "VM Network"
  label_attributes = ["owner"]
  labels           = { provider = "vsphere" }
}

host "edge-1" {
  address = "203.0.113.10"
  labels  = { role = "edge" }
}

stack "web" {
  compose  = "stacks/web"
  replicas = 2
  place {
    hosts  = "role=app"
    spread = "zone"
  }
}
