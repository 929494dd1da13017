host "h1" {
  address = "10.255.255.1"
}
syslog {
  hosts          = "*"
  container_logs = "logs" # ERROR: Invalid path
}
