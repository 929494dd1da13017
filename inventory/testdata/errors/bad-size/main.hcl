host "h1" {
  address  = "10.0.0.1"
  capacity = { cpus = 4, memory = "8 gigs" }  # ERROR: is not a size
}
