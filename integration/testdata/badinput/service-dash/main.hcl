host "h1" {
  address = "10.255.255.1"
}
service "--now" { # ERROR: Invalid service name
  hosts = "*"
}
