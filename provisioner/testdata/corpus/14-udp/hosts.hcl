defaults {
  port_range = "20000-20999"
}

host "h1" {
  address  = "10.0.0.1"
  capacity = { cpus = 4, memory = "8GiB" }
}

host "h2" {
  address  = "10.0.0.2"
  capacity = { cpus = 4, memory = "8GiB" }
}

host "h3" {
  address  = "10.0.0.3"
  capacity = { cpus = 4, memory = "8GiB" }
}
