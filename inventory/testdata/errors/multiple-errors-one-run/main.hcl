host "h1" {
  address = "-oops"  # ERROR: Invalid host address
  become  = "maybe"  # ERROR: Incorrect attribute value type
}

host "h2" {
  address   = "10.0.0.2"
  port_range = "0-10"  # ERROR: port 0 is out of range
}
