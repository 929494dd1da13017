host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "stacks/web"
  port "http" {
    container = 8080
  }
  port "http" {  # ERROR: Duplicate port
    container = 8081
    service   = "web"
  }
}
