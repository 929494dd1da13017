host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web.v2" {  # ERROR: compose project name
  compose = "stacks/web"
}
