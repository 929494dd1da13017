host "h1" {
  address = "10.255.255.1"
  ssh {
    user = "$(touch /tmp/pwned)" # ERROR: Invalid ssh user
  }
}
