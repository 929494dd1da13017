host "h1" {
  address = "10.255.255.1"
  ssh {
    jump = "$(id)" # ERROR: Invalid jump host
  }
}
