host "h1" {
  address = "h1;reboot" # ERROR: Invalid host address
}
