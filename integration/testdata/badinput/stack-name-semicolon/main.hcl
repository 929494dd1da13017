host "h1" {
  address = "10.255.255.1"
}
stack "a;b" { # ERROR: Invalid stack name
  compose = "stacks/s"
}
