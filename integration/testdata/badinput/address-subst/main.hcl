host "h1" {
  address = "$(touch /tmp/pwned)" # ERROR: Invalid host address
}
