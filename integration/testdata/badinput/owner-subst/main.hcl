host "h1" {
  address = "10.255.255.1"
}
file "/opt/x" {
  hosts   = "*"
  content = "x"
  owner   = "$(id)" # ERROR: Invalid owner
}
