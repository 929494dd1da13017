host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

host "h1" {  # ERROR: Duplicate host
  address = "10.0.0.2"
}
