host "h1" {
  address = "10.255.255.1"
}
stack "s" {
  compose  = "stacks/s"
  env_file = "/etc/shadow" # ERROR: Cannot read env file
}
