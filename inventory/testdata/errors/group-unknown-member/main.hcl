host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

group "web" {
  members = ["h1", "h9"]  # ERROR: Unknown host
}
