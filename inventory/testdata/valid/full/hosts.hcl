host "app-1" {
  address  = "${local.net}.11"
  labels   = merge(local.labels, { role = "app" })
  capacity = { cpus = 4, memory = "8GiB" }
  vars     = { motd = "first" }
}

host "app-2" {
  address = "${local.net}.12"
  labels  = merge(local.labels, { role = "app" })
  ssh {
    user = "ops"
    jump = "bastion.example.net"
  }
}

host "lb-1" {
  address    = "lb-1.example.net"
  labels     = { role = "lb", zone = "gra" }
  become     = false
  port_range = "22000-22099"
}

group "apps" {
  match = "role=app"
}

group "edge" {
  members = ["lb-1"]
}
