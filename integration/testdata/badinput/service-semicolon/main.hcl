host "h1" {
  address = "10.255.255.1"
}
service "x;reboot" { # ERROR: Invalid service name
  hosts = "*"
}
