host "h1" {
  address = "10.255.255.1"
}
file "/opt/x" {
  hosts  = "*"
  source = "../../../../etc/passwd" # ERROR: Cannot read file source
}
