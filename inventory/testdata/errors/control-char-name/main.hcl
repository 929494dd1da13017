host "h1\u0007" {  # ERROR: Invalid host name
  address = "10.0.0.1"
}
