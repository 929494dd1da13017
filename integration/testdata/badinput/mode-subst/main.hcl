host "h1" {
  address = "10.255.255.1"
}
file "/opt/x" {
  hosts   = "*"
  content = "x"
  mode    = "0644; chmod 777 /" # ERROR: Invalid mode
}
