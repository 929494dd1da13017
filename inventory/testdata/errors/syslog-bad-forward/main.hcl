host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}

syslog {
  hosts   = "*"
  forward = "logs.example.net:514"  # ERROR: Invalid forward target
}
