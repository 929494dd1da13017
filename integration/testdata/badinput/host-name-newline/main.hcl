host "a\nb" { # ERROR: Invalid host name
  address = "10.255.255.1"
}
