host "h1" {
  address = "10.255.255.1"
  labels  = { role = "a b" } # ERROR: Invalid label value
}
