host "app-1" {
  address  = "app-1.${local.domain}"
  labels   = { role = "app", zone = "a" }
  capacity = { cpus = 4, memory = "8GiB" }
}

host "app-2" {
  address  = "app-2.${local.domain}"
  labels   = { role = "app", zone = "b" }
  capacity = { cpus = 4, memory = "8GiB" }
}

host "edge-1" {
  address  = "edge-1.${local.domain}"
  labels   = { role = "edge", zone = "a" }
  capacity = { cpus = 2, memory = "2GiB" }
}

group "apps" {
  match = "role=app"
}
