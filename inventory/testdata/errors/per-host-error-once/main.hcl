host "h1" {
  address = "10.0.0.1"
}

host "h2" {
  address = "10.0.0.2"
}

file "/etc/motd" {
  hosts   = "*"
  content = "hi"
  mode    = "rw-r--r--"  # ERROR: Invalid mode
}
