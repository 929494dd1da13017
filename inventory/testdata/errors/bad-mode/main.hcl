host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

file "/etc/motd" {
  hosts   = "*"
  content = "hi"
  mode    = "0999"  # ERROR: Invalid mode
}
