defaults {
  port_range = "30000-20000"  # ERROR: starts after it ends
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
