host "h1" {
  address = "10.255.255.1"
}
syslog {
  hosts   = "*"
  forward = "tcp://$(id):514" # ERROR: Invalid forward target
}
