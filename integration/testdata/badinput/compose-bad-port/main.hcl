host "h1" {
  address = "10.255.255.1"
}
stack "s" {
  compose = "stacks/badport" # ERROR: Invalid compose project
}
