host "h1" {
  address = "10.255.255.1"
}
file "/etc/../etc/shadow" { # ERROR: Invalid file path
  hosts   = "*"
  content = "x"
}
