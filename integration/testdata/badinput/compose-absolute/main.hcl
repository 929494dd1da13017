host "h1" {
  address = "10.255.255.1"
}
stack "s" {
  compose = "/etc" # ERROR: Invalid compose directory
}
