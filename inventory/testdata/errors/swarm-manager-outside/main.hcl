host "a" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

host "c" {
  address = "10.0.0.3"
  labels  = { role = "db" }
}

swarm {
  hosts    = "role=app"
  managers = "c" # ERROR: Manager outside the swarm
}
