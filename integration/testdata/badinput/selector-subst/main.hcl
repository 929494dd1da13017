host "h1" {
  address = "10.255.255.1"
}
file "/opt/x" {
  hosts   = "$(id)" # ERROR: Unknown host or group in selector
  content = "x"
}
