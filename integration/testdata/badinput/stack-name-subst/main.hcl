host "h1" {
  address = "10.255.255.1"
}
stack "$(id)" { # ERROR: Invalid stack name
  compose = "stacks/s"
}
