host "h1" {
  address = "10.255.255.1"
  ssh {
    user = "root\nx" # ERROR: Invalid ssh user
  }
}
