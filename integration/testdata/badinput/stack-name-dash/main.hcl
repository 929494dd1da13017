host "h1" {
  address = "10.255.255.1"
}
stack "-p" { # ERROR: Invalid stack name
  compose = "stacks/s"
}
