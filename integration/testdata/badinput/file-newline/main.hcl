host "h1" {
  address = "10.255.255.1"
}
file "/opt/a\nb" { # ERROR: Invalid file path
  hosts   = "*"
  content = "x"
}
