host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "stacks/web"
  port "http" {
    container = 70000  # ERROR: port 70000 is out of range
  }
}
