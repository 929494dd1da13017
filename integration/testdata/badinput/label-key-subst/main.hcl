host "h1" {
  address = "10.255.255.1"
  labels  = { "$(id)" = "x" } # ERROR: Invalid label key
}
