host "h1" {
  address = "10.0.0.1 -p 2222"  # ERROR: whitespace or control characters
}
