host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "a" {
  compose = "stacks/web"
  port "http" {
    container = 8080
    host      = 8080
  }
}

stack "b" {
  compose = "stacks/web"
  port "http" {  # ERROR: Overlapping host ports
    container = 8080
    host      = 8080
  }
}
