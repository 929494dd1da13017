host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "stacks/web"  # ERROR: Invalid compose project
}
