host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

stack "web" {
  compose = "../duplicate-stack/stacks/web"  # ERROR: leaves the inventory directory
}
