host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

file "etc/motd" {  # ERROR: Invalid file path
  hosts   = "*"
  content = "hi"
}
