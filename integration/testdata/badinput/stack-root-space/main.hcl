host "h1" {
  address = "10.255.255.1"
}
stack "s" {
  compose = "stacks/s"
  root    = "/srv/a b" # ERROR: Invalid stack root
}
