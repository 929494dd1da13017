defaults {
  port_range = "1-99999" # ERROR: Invalid port range
}
host "h1" {
  address = "10.255.255.1"
}
