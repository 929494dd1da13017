host "h1" {
  address = "10.0.0.1"
}

balancer "edge" {
  hosts = "*"
  image = "haproxy:2.8"  # ERROR: Unsupported balancer image
  frontend "https" {
    bind  = ":443"
    stack = "web"
    port  = "http"
  }
}

stack "web" {
  compose = "stacks/web"
  port "http" {
    container = 8080
  }
}
