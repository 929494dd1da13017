host "h1" {
  address = "10.255.255.1"
  ssh {
    user = "-oProxyCommand=x" # ERROR: Invalid ssh user
  }
}
