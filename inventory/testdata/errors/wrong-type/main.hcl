host "h1" {
  address = "10.0.0.1"
  labels  = "role=app"  # ERROR: Incorrect attribute value type
}
