host "Web_1" {  # ERROR: Invalid host name
  address = "10.0.0.1"
}
