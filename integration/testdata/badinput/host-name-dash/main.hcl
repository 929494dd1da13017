host "-oProxyCommand=x" { # ERROR: Invalid host name
  address = "10.255.255.1"
}
