host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "stacks/web"
}

stack "web" {  # ERROR: was already defined at main.hcl:6
  compose = "stacks/web"
}
