host "h1" {
  address = "10.255.255.1"
}
syslog {
  hosts          = "*"
  container_logs = "/var/log/a b" # ERROR: Invalid path
}
