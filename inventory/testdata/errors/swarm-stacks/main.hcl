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
  hosts = "role=app"
}

stack "web" {
  compose  = "stacks/web"
  mode     = "swarm" # ERROR: Stack host outside the swarm
  replicas = 2
  place {
    hosts = "*"
  }
  port "http" { # no host: the scheduler numbers it, the same on every node
    container = 8080
  }
}

stack "img" {
  compose  = "stacks/img"
  mode     = "swarm" # ERROR: Swarm stack without a registry
  images   = "ship"
  replicas = 1
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
    host      = 8080
  }
}

stack "other" {
  compose = "stacks/web"
  mode    = "cluster" # ERROR: Invalid value
}

stack "many" {
  compose  = "stacks/img"
  mode     = "swarm" # ERROR: More replicas than swarm hosts
  replicas = 3
  place {
    hosts = "role=app"
  }
  port "http" {
    container = 8080
    host      = 8081
  }
}
