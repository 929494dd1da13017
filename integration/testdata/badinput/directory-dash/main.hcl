host "h1" {
  address = "10.255.255.1"
}
directory "-rf" { # ERROR: Invalid directory path
  hosts = "*"
}
