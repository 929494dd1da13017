host "a" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

host "b" {
  address = "10.0.0.2"
  labels  = { role = "app" }
}

host "c" {
  address = "10.0.0.3"
  labels  = { role = "db" }
}

swarm {
  hosts    = "role=app"
  managers = ["a", "b"] # ERROR: Even number of managers
}

swarm { # ERROR: Duplicate swarm block
  hosts = "*"
}
