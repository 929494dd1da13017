host "h1" {
  address = "10.0.0.1"
}

syslog {
  hosts          = "*"
  container_logs = "/var/log/$(touch /tmp/pwned)\" {"  # ERROR: Invalid path
}
