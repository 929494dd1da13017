host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "stacks/web"
  port "http" {  # ERROR: Fixed port inside the automatic range
    container = 8080
    host      = 20080
  }
}
