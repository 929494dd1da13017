host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

balancer "edge" {
  hosts = "*"
  frontend "https" {  # ERROR: Did you mean "web"
    bind  = ":443"
    stack = "wbe"
    port  = "http"
  }
}

stack "web" {
  compose = "stacks/web"
  port "http" {
    container = 8080
  }
}
