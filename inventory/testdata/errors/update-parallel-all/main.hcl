host "h1" {
  address = "10.0.0.1"
}

host "h2" {
  address = "10.0.0.2"
}

balancer "edge" {
  hosts = "h1"
  frontend "web" {
    bind  = ":80"
    stack = "web"
    port  = "http"
  }
  frontend "api" {
    bind  = ":81"
    stack = "api"
    port  = "http"
  }
}

stack "web" {
  compose  = "stacks/web"
  replicas = 2
  port "http" {
    container = 8080
  }
  update {
    parallel = 2 # WARNING: Update takes every replica out of the balancer
  }
}

stack "api" {
  compose  = "stacks/api"
  replicas = 2
  port "http" {
    container = 8080
  }
  update { # WARNING: Update stops every replica at once
    strategy      = "all-at-once"
    drain_timeout = "0s" # ERROR: Invalid duration
  }
}
