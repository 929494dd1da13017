defaults {
  ssh {
    port = 0  # ERROR: Invalid ssh port
  }
}

host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
