host "h1" {
  address = "10.0.0.1"
  labels  = { role = "app" }
}
hots "h2" {  # ERROR: Did you mean "host"
}
