host "h1" {
  address = "10.255.255.1"
}
directory "/srv/../../etc" { # ERROR: Invalid directory path
  hosts = "*"
}
